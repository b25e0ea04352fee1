package dev.reweigh.nd4j;

import dev.reweigh.AdapterBatch;
import dev.reweigh.AdapterChecks;
import dev.reweigh.DType;
import dev.reweigh.IndexType;
import dev.reweigh.NativeBatch;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Logits, targets and sample offsets held in ND4J arrays (CPU backend), described for the fused
 * kernels without copying (docs/design.md §3).
 *
 * <ul>
 *   <li>logits {@code [rows, V]} or {@code [B, T, V]}, FLOAT or BFLOAT16, unit stride along V
 *       (C order); rows may be strided, e.g. a view {@code logits.get(all(), interval(0, V))} of
 *       a wider array or a row slice with an offset (ND4J's {@code data().addressPointer()}
 *       already includes the view offset, docs/toolchain.md §4). F-order arrays, transposed
 *       views and [B, T, V] views whose B stride is not T times the T stride are rejected, never
 *       misread;
 *   <li>targets LONG or INT, dense C order, {@code [rows]} or {@code [B, T]};
 *   <li>offsets LONG or INT {@code [samples + 1]}; or none: {@link #padded}.
 * </ul>
 */
public final class Nd4jBatch extends AdapterBatch<INDArray> {

  private Nd4jBatch(INDArray logits, INDArray targets, INDArray offsets) {
    super(logits, targets, offsets, describe(logits, targets, offsets));
  }

  private static NativeBatch describe(INDArray logits, INDArray targets, INDArray offsets) {
    DType dtype = Nd4jChecks.logitsDType(logits);
    long vocab = logits.size(logits.rank() - 1);
    long rows = AdapterChecks.rows(logits.shape());
    long rowStride = Nd4jChecks.rowStride(logits, "logits");
    IndexType targetsType = Nd4jChecks.indexType(targets, "targets");
    Nd4jChecks.requireDense(targets, "targets");
    AdapterChecks.requireTargetPerRow(targets.shape(), logits.shape());
    IndexType offsetsType = Nd4jChecks.indexType(offsets, "offsets");
    Nd4jChecks.requireDense(offsets, "offsets");
    if (offsets.length() < 1 || (offsets.rank() > 1 && !offsets.isVector())) {
      throw new IllegalArgumentException("offsets must be a vector of samples + 1 >= 1 entries,"
          + " got " + Arrays.toString(offsets.shape()));
    }
    long samples = offsets.length() - 1;
    return NativeBatch.builder()
        .logits(Nd4jChecks.address(logits), dtype, rows, vocab)
        .rowStride(rowStride)
        .targets(Nd4jChecks.address(targets), targetsType)
        .offsets(Nd4jChecks.address(offsets), offsetsType, samples)
        .build();
  }

  /** Packed batch: one target per row, offsets {@code [samples + 1]} from 0 to rows. */
  public static Nd4jBatch of(INDArray logits, INDArray targets, INDArray offsets) {
    Nd4jChecks.requireLogits(logits);
    Nd4jChecks.requireNonNull(targets, "targets");
    Nd4jChecks.requireNonNull(offsets, "offsets");
    return new Nd4jBatch(logits, targets, offsets);
  }

  /** Padded batch: logits {@code [B, T, V]}, targets {@code [B, T]}; sample b = sequence b. */
  public static Nd4jBatch padded(INDArray logits, INDArray targets) {
    Nd4jChecks.requireLogits(logits);
    Nd4jChecks.requireNonNull(targets, "targets");
    AdapterChecks.requireSequenceLogits(logits.shape(), "padded",
        ": use Nd4jBatch.of with offsets for [rows, V]");
    long b = logits.size(0);
    long t = logits.size(1);
    long[] off = new long[(int) b + 1];
    for (int i = 0; i <= b; i++) {
      off[i] = i * t;
    }
    return new Nd4jBatch(logits, targets, Nd4j.createFromArray(off));
  }

  /**
   * Causal-LM batch from logits {@code [B, T, V]} and input tokens {@code [B, T]}: row (b, t)
   * predicts token (b, t+1); the last position of each sequence is ignored. Only a shifted LONG
   * target array of B*T entries is built; the logits are neither copied nor sliced.
   */
  public static Nd4jBatch causal(INDArray logits, INDArray tokens, long ignoreIndex) {
    Nd4jChecks.requireLogits(logits);
    Nd4jChecks.requireNonNull(tokens, "tokens");
    AdapterChecks.requireSequenceLogits(logits.shape(), "causal", "");
    Nd4jChecks.indexType(tokens, "tokens");
    long b = logits.size(0);
    long t = logits.size(1);
    AdapterChecks.requireTokensMatch(tokens.shape(), logits.shape());
    long[] shifted = new long[Math.toIntExact(b * t)];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        shifted[(int) (i * t + j)] = j + 1 < t ? tokens.getLong(i, j + 1) : ignoreIndex;
      }
    }
    long[] off = new long[(int) b + 1];
    for (int i = 0; i <= b; i++) {
      off[i] = i * t;
    }
    return new Nd4jBatch(logits, Nd4j.createFromArray(shifted).reshape('c', b, t),
        Nd4j.createFromArray(off));
  }
}
