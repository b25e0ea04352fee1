package dev.reweigh;

import static dev.reweigh.internal.Status.check;

import dev.reweigh.internal.NativeLibrary;
import dev.reweigh.nativeapi.ReweighNative;
import java.lang.ref.Reference;
import java.util.Arrays;

/**
 * The gradient with per-row (per-token) coefficients, for two-phase token-level objectives such as
 * GRPO, DAPO, PPO-clip and dynamic fine-tuning ({@code dev.reweigh.weighting}): {@link
 * FusedLoss#forward} gives {@code rowLogp}, {@code rowLse} and {@code rowEntropy}; Java computes
 * each row's coefficient; {@code backward} writes the gradient (docs/design.md §3.8).
 *
 * <p>The gradient is that of
 *
 * <pre>
 *   total = sum_s c_s * red_s( sum_{r in s} (w_r * rowLoss_r + beta_r * H_r) ) / D
 * </pre>
 *
 * with {@code red_s} = 1 / tokenCount_s under {@link TokenReduction#MEAN} and 1 under {@link
 * TokenReduction#SUM}, {@code rowLoss} the per-row loss of {@link FusedLoss} and {@code H_r} the
 * row's entropy (its gradient is {@code dH/dz'_v = -p_v (log p_v + H)}). Row weights never enter
 * D: {@link Normalization#TOKENS} counts counted rows, {@link Normalization#WEIGHT_SUM} sums c_s
 * (each >= 0), {@link Normalization#SAMPLES} counts samples with tokens, {@link Normalization#NONE}
 * is 1 and {@link Normalization#EXPLICIT} the given D, exactly as for {@link FusedLoss}. With
 * every {@code w_r = 1} and no {@code beta} the gradient is {@link FusedLoss#backward}'s.
 *
 * <p>A token-level loss {@code F(logp_1..logp_R)} to minimise ({@code F = -J} for GRPO, DAPO,
 * PPO-clip) is applied with {@link #objectiveSpec()}, {@link #unitCoefficients(int)} and {@code
 * w_r = -dF/dlogp_r} ({@code dev.reweigh.weighting.TokenObjective#rowWeights()}): then {@code
 * rowLoss = -logp} and the gradient written is {@code dF/dz}.
 *
 * <p>Checks: {@code rowWeights} and {@code rowEntropyWeights} have one finite entry per row
 * (ignored rows included: pass 0 there), else an {@link IllegalArgumentException} naming the array
 * and index; everything else as {@link FusedLoss#backward}. Heap row arrays need a CPU batch (a
 * CUDA batch is an {@link UnsupportedOperationException}); the overload taking addresses runs on
 * CPU and CUDA batches.
 */
public final class TokenLoss {
  private TokenLoss() {}

  private static final LossSpec OBJECTIVE_SPEC = LossSpec.builder()
      .tokenReduction(TokenReduction.SUM).normalization(Normalization.NONE).build();

  /**
   * SUM, NONE, no smoothing, z-loss, softcap or scaling: with {@link #unitCoefficients} the
   * gradient is exactly {@code sum_r w_r d(-logp_r)/dz + beta_r dH_r/dz}.
   */
  public static LossSpec objectiveSpec() {
    return OBJECTIVE_SPEC;
  }

  /** {@code samples} coefficients of 1. */
  public static float[] unitCoefficients(int samples) {
    if (samples < 0) {
      throw new IllegalArgumentException("samples = " + samples + " must be >= 0");
    }
    float[] c = new float[samples];
    Arrays.fill(c, 1f);
    return c;
  }

  // ---- heap arrays -------------------------------------------------------------------------

  /**
   * Gradient into {@code grad} (may be {@code logits} itself). {@code stats} must come from
   * {@link FusedLoss#forward} on the same logits and spec; {@code rowEntropyWeights} may be null
   * (no entropy term).
   */
  public static void backward(float[] logits, int vocab, int[] targets, int[] offsets,
      SampleStats stats, float[] coefficients, float[] rowWeights, float[] rowEntropyWeights,
      LossSpec spec, float[] grad) {
    heapBackward(DType.F32, logits, logits == null ? -1 : logits.length, vocab, targets, offsets,
        stats, coefficients, rowWeights, rowEntropyWeights, spec, grad,
        grad == null ? -1 : grad.length);
  }

  /** {@link #backward(float[], int, int[], int[], SampleStats, float[], float[], float[], LossSpec, float[])} on bf16 bit patterns. */
  public static void backward(short[] logitsBf16, int vocab, int[] targets, int[] offsets,
      SampleStats stats, float[] coefficients, float[] rowWeights, float[] rowEntropyWeights,
      LossSpec spec, short[] gradBf16) {
    heapBackward(DType.BF16, logitsBf16, logitsBf16 == null ? -1 : logitsBf16.length, vocab,
        targets, offsets, stats, coefficients, rowWeights, rowEntropyWeights, spec, gradBf16,
        gradBf16 == null ? -1 : gradBf16.length);
  }

  /** The heap backward for either dtype: logits and grad are float[] (F32) or short[] (BF16). */
  private static void heapBackward(DType dtype, Object logits, long logitsLength, int vocab,
      int[] targets, int[] offsets, SampleStats stats, float[] coefficients, float[] rowWeights,
      float[] rowEntropyWeights, LossSpec spec, Object grad, long gradLength) {
    long rows = checkHeap(logitsLength, vocab, targets, offsets, spec);
    checkRows(rows, stats, rowWeights, rowEntropyWeights);
    checkHeapGrad(grad, gradLength, rows * vocab, coefficients, offsets.length - 1, rowWeights,
        rowEntropyWeights);
    NativeLibrary.ensureLoaded();
    long[] fields = NativeBatch.heapFields(dtype, rows, vocab, offsets.length - 1);
    float[] lse = stats.rowLseArray();
    float[] entropy = stats.rowEntropyArray();
    check(dtype == DType.F32
        ? ReweighNative.reweigh_jni_backward_rows((float[]) logits, targets, offsets, fields,
            spec.nativeFloats, spec.nativeInts, lse, entropy, coefficients, rowWeights,
            rowEntropyWeights, (float[]) grad, vocab)
        : ReweighNative.reweigh_jni_backward_rows((short[]) logits, targets, offsets, fields,
            spec.nativeFloats, spec.nativeInts, lse, entropy, coefficients, rowWeights,
            rowEntropyWeights, (short[]) grad, vocab));
  }

  // ---- native memory -----------------------------------------------------------------------

  /** The gradient on a CPU batch in native memory, per-row inputs on the heap. */
  public static void backward(NativeBatch batch, SampleStats stats, float[] coefficients,
      float[] rowWeights, float[] rowEntropyWeights, LossSpec spec, NativeGrad grad) {
    requireCpuBatch(batch, spec, grad);
    checkRows(batch.rows, stats, rowWeights, rowEntropyWeights);
    checkCoefficients(coefficients, batch.samples);
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighNative.reweigh_jni_backward_rows(batch.logits, batch.targets, batch.offsets,
          batch.nativeFields, spec.nativeFloats, spec.nativeInts, stats.rowLseArray(),
          stats.rowEntropyArray(), coefficients, rowWeights, rowEntropyWeights, grad.address,
          grad.rowStride));
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(grad);
    }
  }

  /**
   * Everything by address in the batch's memory ([rows] fp32 for the row arrays, [samples] fp32
   * coefficients), CPU or CUDA (device memory; validated on the device, docs/design.md §3.8);
   * {@code rowEntropyWeightsAddress} 0 means no entropy term, and {@code rowEntropyAddress} is
   * then not read.
   */
  public static void backward(NativeBatch batch, long rowLseAddress, long rowEntropyAddress,
      long coefficientsAddress, long rowWeightsAddress, long rowEntropyWeightsAddress,
      LossSpec spec, NativeGrad grad) {
    requireBatch(batch, spec, grad);
    if (batch.rows > 0) {
      requireAddress(rowLseAddress, "rowLse");
      requireAddress(rowWeightsAddress, "rowWeights");
      if (rowEntropyWeightsAddress != 0) {
        requireAddress(rowEntropyAddress, "rowEntropy");
      }
    }
    if (batch.samples > 0) {
      requireAddress(coefficientsAddress, "coefficients");
    }
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighNative.reweigh_jni_backward_rows(batch.logits, batch.targets, batch.offsets,
          batch.nativeFields, spec.nativeFloats, spec.nativeInts, rowLseAddress, rowEntropyAddress,
          coefficientsAddress, rowWeightsAddress, rowEntropyWeightsAddress, grad.address,
          grad.rowStride));
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(grad);
    }
  }

  // ---- argument checks ---------------------------------------------------------------------

  /**
   * Heap layout checks shared with {@link PolicyLoss}: {@link FusedLoss}'s, same order and
   * messages; returns the number of rows.
   */
  static long checkHeap(long logitsLength, int vocab, int[] targets, int[] offsets,
      LossSpec spec) {
    return FusedLoss.checkHeap(logitsLength, vocab, targets, offsets, spec);
  }

  private static void checkRows(long rows, SampleStats stats, float[] rowWeights,
      float[] rowEntropyWeights) {
    AdapterChecks.requireNonNull(stats, "stats");
    if (stats.rows() != rows) {
      throw new IllegalArgumentException("stats has " + stats.rows() + " rows but the batch has "
          + rows + ": pass the stats of forward on the same batch");
    }
    checkRowValues(rowWeights, rows, "rowWeights");
    if (rowEntropyWeights != null) {
      checkRowValues(rowEntropyWeights, rows, "rowEntropyWeights");
    }
  }

  /**
   * The check every heap row array of this class and its adapters gets: not null, one entry per
   * row, every entry finite (ignored rows included).
   *
   * @param values w_r or beta_r
   * @param rows the batch's rows
   * @param name the argument's name in the message
   * @throws IllegalArgumentException naming {@code name} and the first bad index
   */
  public static void checkRowValues(float[] values, long rows, String name) {
    if (values == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    if (values.length != rows) {
      throw new IllegalArgumentException(
          name + ".length = " + values.length + " must equal the number of rows = " + rows);
    }
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new IllegalArgumentException(name + "[" + i + "] = " + values[i]
            + " is not finite (ignored rows included: pass 0 there)");
      }
    }
  }

  private static void checkCoefficients(float[] coefficients, long samples) {
    AdapterChecks.requireNonNull(coefficients, "coefficients");
    if (coefficients.length != samples) {
      throw new IllegalArgumentException("coefficients.length = " + coefficients.length
          + " must equal the number of samples = " + samples);
    }
  }

  /** Length, and no identity with an input array (arrays are distinct objects or the same one). */
  private static void checkHeapGrad(Object grad, long gradLength, long expected,
      float[] coefficients, long samples, float[] rowWeights, float[] rowEntropyWeights) {
    checkCoefficients(coefficients, samples);
    if (gradLength < 0) {
      throw new IllegalArgumentException("grad is null");
    }
    if (gradLength != expected) {
      throw new IllegalArgumentException(
          "grad.length = " + gradLength + " must equal logits.length = " + expected);
    }
    if (grad == coefficients || grad == rowWeights || grad == rowEntropyWeights) {
      throw new IllegalArgumentException(
          "grad is also an input (coefficients or a row array): outputs may not alias inputs");
    }
  }

  /** A live CPU batch, a spec and a gradient that fits it (shared with {@link PolicyLoss}). */
  static void requireCpuBatch(NativeBatch batch, LossSpec spec, NativeGrad grad) {
    requireBatch(batch, spec, grad);
    if (batch.device.isCuda()) {
      throw new UnsupportedOperationException("batch lives on " + batch.device
          + ": per-row inputs on the heap need a CPU batch; for a CUDA batch pass them by address"
          + " in device memory");
    }
  }

  /** A live batch (CPU or CUDA), a spec and a gradient that fits the batch. */
  static void requireBatch(NativeBatch batch, LossSpec spec, NativeGrad grad) {
    AdapterChecks.requireNonNull(batch, "batch");
    AdapterChecks.requireNonNull(spec, "spec");
    batch.checkLive();
    AdapterChecks.requireNonNull(grad, "grad");
    grad.check(batch);
  }

  static void requireAddress(long address, String name) {
    if (address == 0) {
      throw new IllegalArgumentException(name + " address is 0");
    }
  }
}
