package dev.reweigh.nd4j;

import dev.reweigh.LinearHeadShape;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The inputs of an ND4J fused linear + cross-entropy (docs/design.md §6): hidden states {@code
 * [rows, H]}, the LM head weight {@code [V, H]} and optional bias {@code [V]} (FLOAT), targets
 * {@code [rows]} and sample offsets {@code [samples + 1]} (LONG or INT), on one backend. Hidden is
 * used in C order (copied once when it is not), since the chunks are its row blocks; the weight is
 * read in place by the GEMMs in whatever layout it has. Labels are copied to the host once
 * (O(rows)).
 *
 * <p>BFLOAT16 heads are rejected: ND4J 1.0.0-M2.1's BFLOAT16 matmul accumulates in bf16 (a K =
 * 4096 dot product of positive values stopped at 256 where the exact value is 1009) and its
 * matmul with BFLOAT16 inputs and a FLOAT output fails, so bf16 logits would come from a GEMM
 * that is wrong at any realistic H (docs/design.md §6).
 */
public final class Nd4jLinearHead extends LinearHeadShape {
  final INDArray hidden;
  final INDArray weight;
  final INDArray bias;
  /** A dense LONG copy: the kernel reads each chunk's targets in place from its row blocks. */
  final INDArray targets;
  final DataType dtype;

  private Nd4jLinearHead(INDArray hidden, INDArray weight, INDArray bias, long[] targets,
      long[] offsets) {
    super(hidden.size(1), weight.size(0), targets, offsets);
    this.hidden = hidden.ordering() == 'c' && !hidden.isView() ? hidden : hidden.dup('c');
    this.weight = weight;
    this.bias = bias == null ? null : bias.reshape(weight.size(0));
    this.targets = Nd4j.createFromArray(targets.length == 0 ? new long[] {0} : targets);
    this.dtype = weight.dataType();
  }

  /** {@code bias} may be null. */
  public static Nd4jLinearHead of(
      INDArray hidden, INDArray weight, INDArray bias, INDArray targets, INDArray offsets) {
    check(hidden, weight, bias, targets, offsets);
    long rows = hidden.size(0);
    return new Nd4jLinearHead(hidden, weight, bias,
        rows == 0 ? new long[0] : targets.reshape(rows).toLongVector(),
        offsets.reshape(offsets.length()).toLongVector());
  }

  private static void check(
      INDArray hidden, INDArray weight, INDArray bias, INDArray targets, INDArray offsets) {
    Nd4jChecks.requireNonNull(hidden, "hidden");
    Nd4jChecks.requireNonNull(weight, "weight");
    Nd4jChecks.requireNonNull(targets, "targets");
    Nd4jChecks.requireNonNull(offsets, "offsets");
    if (hidden.rank() != 2 || weight.rank() != 2) {
      throw new IllegalArgumentException("hidden " + Arrays.toString(hidden.shape())
          + " must be [rows, H] and weight " + Arrays.toString(weight.shape()) + " [V, H]");
    }
    if (hidden.size(1) != weight.size(1)) {
      throw new IllegalArgumentException("hidden " + Arrays.toString(hidden.shape())
          + " and weight " + Arrays.toString(weight.shape()) + " disagree on H");
    }
    DataType dtype = weight.dataType();
    if (dtype != DataType.FLOAT) {
      throw new IllegalArgumentException("weight data type " + dtype + " is not supported: use"
          + " FLOAT (ND4J's BFLOAT16 matmul accumulates in bf16, docs/design.md §6)");
    }
    requireDtype(hidden, "hidden", dtype);
    if (bias != null) {
      if (bias.rank() > 2 || bias.length() != weight.size(0)
          || (bias.rank() == 2 && !bias.isVector())) {
        throw new IllegalArgumentException("bias " + Arrays.toString(bias.shape())
            + " must be [V] = [" + weight.size(0) + "]");
      }
      requireDtype(bias, "bias", dtype);
    }
    Nd4jChecks.indexType(targets, "targets");
    Nd4jChecks.indexType(offsets, "offsets");
    if (targets.length() != hidden.size(0)) {
      throw new IllegalArgumentException("targets has " + targets.length()
          + " elements but hidden " + Arrays.toString(hidden.shape()) + " has " + hidden.size(0)
          + " rows");
    }
    if (offsets.length() < 1 || (offsets.rank() > 1 && !offsets.isVector())) {
      throw new IllegalArgumentException("offsets must be a vector of samples + 1 >= 1 entries,"
          + " got " + Arrays.toString(offsets.shape()));
    }
  }

  private static void requireDtype(INDArray a, String name, DataType dtype) {
    if (a.dataType() != dtype) {
      throw new IllegalArgumentException(name + " data type " + a.dataType()
          + " must equal the weight data type " + dtype);
    }
  }
}
