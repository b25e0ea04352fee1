package dev.reweigh;

import static dev.reweigh.internal.Status.check;

import dev.reweigh.internal.NativeLibrary;
import dev.reweigh.nativeapi.ReweighNative;
import java.lang.ref.Reference;

/**
 * The fused per-sample cross-entropy: statistics, weighted objective and its gradient with respect
 * to the logits, in one or two passes over [rows x vocab] (docs/design.md §3).
 *
 * <p>Three ways in, same semantics:
 *
 * <ul>
 *   <li>heap arrays ({@code float[]} fp32 or {@code short[]} bf16 bit patterns): pinned, not
 *       copied; {@code grad == logits} writes the gradient in place;
 *   <li>a {@link NativeBatch} over native memory with results in heap arrays (CPU);
 *   <li>a {@link NativeBatch} with every output in caller-owned native memory ({@link
 *       NativeStats}, raw addresses), the path for CUDA device buffers.
 * </ul>
 *
 * <p>Invalid input (shape mismatch, a target outside [0, vocab) that is not the ignore index,
 * malformed offsets, non-finite coefficients, a negative coefficient under {@link
 * Normalization#WEIGHT_SUM}, a gradient whose element type is not the logits' dtype, an output
 * that overlaps an input or another output (only {@code grad == logits} is allowed), null or
 * deallocated buffers, a device buffer given to the CPU path) is an {@link
 * IllegalArgumentException} naming the argument and the first bad index, raised before any output
 * is written. D = 0 (every row ignored, or every coefficient 0) is not an error: the total is 0,
 * the gradient written is 0 and the statistics are returned ({@link LossResult#normalizer()}).
 * Thread safe: concurrent calls are fine; a call reads the targets and offsets once, so another
 * thread writing them meanwhile yields the result of what was validated or an
 * IllegalArgumentException, never an out-of-range index.
 */
public final class FusedLoss {
  private FusedLoss() {}

  // ---- heap arrays, fp32 ------------------------------------------------------------------

  /**
   * Per-sample statistics. {@code rows = targets.length}, {@code logits.length == rows * vocab},
   * {@code offsets.length == samples + 1}.
   */
  public static SampleStats forward(
      float[] logits, int vocab, int[] targets, int[] offsets, LossSpec spec) {
    return forward(Args.heap(logits, logits == null ? -1 : logits.length, DType.F32, vocab,
        targets, offsets, spec), spec);
  }

  /**
   * Statistics, the objective {@code sum_s c_s loss_s / D} and its gradient with respect to the
   * logits, written to {@code grad} (which may be {@code logits} itself), each row handled while
   * it is in cache.
   */
  public static LossResult forwardBackward(float[] logits, int vocab, int[] targets,
      int[] offsets, float[] coefficients, LossSpec spec, float[] grad) {
    Args a = Args.heap(logits, logits == null ? -1 : logits.length, DType.F32, vocab, targets,
        offsets, spec);
    a.checkHeapGrad(grad, grad == null ? -1 : grad.length, coefficients);
    return forwardBackward(a, coefficients, spec, grad, vocab);
  }

  /**
   * The gradient alone, for coefficients computed from a previous {@link #forward} (two-phase
   * methods such as DPO): {@code stats} must come from {@code forward} on the same logits and
   * options.
   */
  public static void backward(float[] logits, int vocab, int[] targets, int[] offsets,
      SampleStats stats, float[] coefficients, LossSpec spec, float[] grad) {
    Args a = Args.heap(logits, logits == null ? -1 : logits.length, DType.F32, vocab, targets,
        offsets, spec);
    a.checkStats(stats);
    a.checkHeapGrad(grad, grad == null ? -1 : grad.length, coefficients);
    backward(a, stats, coefficients, spec, grad, vocab);
  }

  // ---- heap arrays, bf16 (raw bit patterns in short[]) -------------------------------------

  /** {@link #forward(float[], int, int[], int[], LossSpec)} on bf16 logits. */
  public static SampleStats forward(
      short[] logitsBf16, int vocab, int[] targets, int[] offsets, LossSpec spec) {
    return forward(Args.heap(logitsBf16, logitsBf16 == null ? -1 : logitsBf16.length, DType.BF16,
        vocab, targets, offsets, spec), spec);
  }

  /** {@link #forwardBackward(float[], int, int[], int[], float[], LossSpec, float[])} on bf16. */
  public static LossResult forwardBackward(short[] logitsBf16, int vocab, int[] targets,
      int[] offsets, float[] coefficients, LossSpec spec, short[] gradBf16) {
    Args a = Args.heap(logitsBf16, logitsBf16 == null ? -1 : logitsBf16.length, DType.BF16,
        vocab, targets, offsets, spec);
    a.checkHeapGrad(gradBf16, gradBf16 == null ? -1 : gradBf16.length, coefficients);
    return forwardBackward(a, coefficients, spec, gradBf16, vocab);
  }

  /** {@link #backward(float[], int, int[], int[], SampleStats, float[], LossSpec, float[])}. */
  public static void backward(short[] logitsBf16, int vocab, int[] targets, int[] offsets,
      SampleStats stats, float[] coefficients, LossSpec spec, short[] gradBf16) {
    Args a = Args.heap(logitsBf16, logitsBf16 == null ? -1 : logitsBf16.length, DType.BF16,
        vocab, targets, offsets, spec);
    a.checkStats(stats);
    a.checkHeapGrad(gradBf16, gradBf16 == null ? -1 : gradBf16.length, coefficients);
    backward(a, stats, coefficients, spec, gradBf16, vocab);
  }

  // ---- native memory, results on the heap (CPU batches) ------------------------------------

  /** Per-sample statistics of a CPU batch in native memory. */
  public static SampleStats forward(NativeBatch batch, LossSpec spec) {
    requireCpu(batch, spec);
    try {
      return forward(Args.of(batch), spec);
    } finally {
      Reference.reachabilityFence(batch);
    }
  }

  /** Forward + backward on a CPU batch; the gradient goes to {@code grad} (may be in place). */
  public static LossResult forwardBackward(
      NativeBatch batch, float[] coefficients, LossSpec spec, NativeGrad grad) {
    requireCpu(batch, spec);
    Args.checkCoefficients(coefficients, batch.samples);
    requireGrad(grad, batch);
    try {
      return forwardBackward(Args.of(batch), coefficients, spec, grad.address, grad.rowStride);
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(grad);
    }
  }

  /** The gradient alone on a CPU batch, from the statistics of a previous forward. */
  public static void backward(NativeBatch batch, SampleStats stats, float[] coefficients,
      LossSpec spec, NativeGrad grad) {
    requireCpu(batch, spec);
    Args a = Args.of(batch);
    a.checkStats(stats);
    Args.checkCoefficients(coefficients, batch.samples);
    requireGrad(grad, batch);
    try {
      backward(a, stats, coefficients, spec, grad.address, grad.rowStride);
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(grad);
    }
  }

  // ---- everything in native memory (CPU or CUDA) -------------------------------------------

  /** Forward with every output in caller-owned native memory of the batch's memory space. */
  public static void forward(NativeBatch batch, LossSpec spec, NativeStats out) {
    requireBatch(batch, spec);
    AdapterChecks.requireNonNull(out, "out");
    Args a = Args.of(batch);
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighNative.reweigh_jni_forward(a.logitsAddress, a.targetsAddress,
          a.offsetsAddress, a.nativeFields, spec.nativeFloats, spec.nativeInts, out.loss,
          out.logProbSum, out.tokenCount, out.meanEntropy, out.rowLse, out.rowLogp,
          out.rowEntropy));
    } finally {
      Reference.reachabilityFence(batch);
    }
  }

  /**
   * Forward + backward with native coefficients ({@code samples} float32), outputs and total (one
   * float64; 0 if not wanted), all in the batch's memory space.
   */
  public static void forwardBackward(NativeBatch batch, long coefficientsAddress, LossSpec spec,
      NativeGrad grad, NativeStats out, long totalAddress) {
    requireBatch(batch, spec);
    requireGrad(grad, batch);
    AdapterChecks.requireNonNull(out, "out");
    requireAddress(coefficientsAddress, batch.samples, "coefficients");
    Args a = Args.of(batch);
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighNative.reweigh_jni_forward_backward(a.logitsAddress, a.targetsAddress,
          a.offsetsAddress, a.nativeFields, spec.nativeFloats, spec.nativeInts, coefficientsAddress,
          grad.address, grad.rowStride, out.loss, out.logProbSum, out.tokenCount,
          out.meanEntropy, out.rowLse, out.rowLogp, out.rowEntropy, totalAddress));
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(grad);
    }
  }

  /** Backward with native per-row lse and coefficients in the batch's memory space. */
  public static void backward(NativeBatch batch, long rowLseAddress, long coefficientsAddress,
      LossSpec spec, NativeGrad grad) {
    requireBatch(batch, spec);
    requireGrad(grad, batch);
    requireAddress(rowLseAddress, batch.rows, "rowLse");
    requireAddress(coefficientsAddress, batch.samples, "coefficients");
    Args a = Args.of(batch);
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighNative.reweigh_jni_backward(a.logitsAddress, a.targetsAddress,
          a.offsetsAddress, a.nativeFields, spec.nativeFloats, spec.nativeInts, rowLseAddress,
          coefficientsAddress, grad.address, grad.rowStride));
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(grad);
    }
  }

  // ---- the one native call per operation with heap results ---------------------------------

  /**
   * Forward into fresh heap statistics. Heap logits go through the critical-region bindings
   * (pinned, read in place); native logits through the plain ones, which copy only the small
   * heap outputs and hold no critical region during the kernel.
   */
  private static SampleStats forward(Args a, LossSpec spec) {
    SampleStats st = SampleStats.allocate(sizeOf(a.samples, "samples"), sizeOf(a.rows, "rows"));
    NativeLibrary.ensureLoaded();
    int status;
    if (a.logits instanceof float[]) {
      status = ReweighNative.reweigh_jni_forward((float[]) a.logits, a.targets, a.offsets,
          a.nativeFields, spec.nativeFloats, spec.nativeInts, st.lossArray(), st.logProbSumArray(),
          st.tokenCountArray(), st.meanEntropyArray(), st.rowLseArray(), st.rowLogpArray(),
          st.rowEntropyArray());
    } else if (a.logits instanceof short[]) {
      status = ReweighNative.reweigh_jni_forward((short[]) a.logits, a.targets, a.offsets,
          a.nativeFields, spec.nativeFloats, spec.nativeInts, st.lossArray(), st.logProbSumArray(),
          st.tokenCountArray(), st.meanEntropyArray(), st.rowLseArray(), st.rowLogpArray(),
          st.rowEntropyArray());
    } else {
      status = ReweighNative.reweigh_jni_forward(a.logitsAddress, a.targetsAddress,
          a.offsetsAddress, a.nativeFields, spec.nativeFloats, spec.nativeInts, st.lossArray(),
          st.logProbSumArray(), st.tokenCountArray(), st.meanEntropyArray(), st.rowLseArray(),
          st.rowLogpArray(), st.rowEntropyArray());
    }
    check(status);
    return st;
  }

  /** Forward + backward into fresh heap statistics; {@code grad} is a float[], short[] or Long. */
  private static LossResult forwardBackward(Args a, float[] coefficients, LossSpec spec,
      Object grad, long gradStride) {
    SampleStats st = SampleStats.allocate(sizeOf(a.samples, "samples"), sizeOf(a.rows, "rows"));
    double[] total = new double[1];
    NativeLibrary.ensureLoaded();
    int status;
    if (a.logits instanceof float[]) {
      status = ReweighNative.reweigh_jni_forward_backward((float[]) a.logits, a.targets,
          a.offsets, a.nativeFields, spec.nativeFloats, spec.nativeInts, coefficients,
          (float[]) grad, gradStride, st.lossArray(), st.logProbSumArray(), st.tokenCountArray(),
          st.meanEntropyArray(), st.rowLseArray(), st.rowLogpArray(), st.rowEntropyArray(), total);
    } else if (a.logits instanceof short[]) {
      status = ReweighNative.reweigh_jni_forward_backward((short[]) a.logits, a.targets,
          a.offsets, a.nativeFields, spec.nativeFloats, spec.nativeInts, coefficients,
          (short[]) grad, gradStride, st.lossArray(), st.logProbSumArray(), st.tokenCountArray(),
          st.meanEntropyArray(), st.rowLseArray(), st.rowLogpArray(), st.rowEntropyArray(), total);
    } else {
      status = ReweighNative.reweigh_jni_forward_backward(a.logitsAddress, a.targetsAddress,
          a.offsetsAddress, a.nativeFields, spec.nativeFloats, spec.nativeInts, coefficients,
          (Long) grad, gradStride, st.lossArray(), st.logProbSumArray(), st.tokenCountArray(),
          st.meanEntropyArray(), st.rowLseArray(), st.rowLogpArray(), st.rowEntropyArray(), total);
    }
    check(status);
    return new LossResult(total[0], LossResult.normalizerOf(spec, st, coefficients), st);
  }

  /** Backward from heap statistics; {@code grad} is a float[], short[] or Long. */
  private static void backward(Args a, SampleStats stats, float[] coefficients, LossSpec spec,
      Object grad, long gradStride) {
    NativeLibrary.ensureLoaded();
    int status;
    float[] rowLse = stats.rowLseArray();
    if (a.logits instanceof float[]) {
      status = ReweighNative.reweigh_jni_backward((float[]) a.logits, a.targets, a.offsets,
          a.nativeFields, spec.nativeFloats, spec.nativeInts, rowLse, coefficients, (float[]) grad,
          gradStride);
    } else if (a.logits instanceof short[]) {
      status = ReweighNative.reweigh_jni_backward((short[]) a.logits, a.targets, a.offsets,
          a.nativeFields, spec.nativeFloats, spec.nativeInts, rowLse, coefficients, (short[]) grad,
          gradStride);
    } else {
      status = ReweighNative.reweigh_jni_backward(a.logitsAddress, a.targetsAddress,
          a.offsetsAddress, a.nativeFields, spec.nativeFloats, spec.nativeInts, rowLse,
          coefficients, (Long) grad, gradStride);
    }
    check(status);
  }

  // ---- argument checks ----------------------------------------------------------------------

  /** A non-null, live batch and a non-null spec (ShardedLoss checks its shards the same way). */
  static void requireBatch(NativeBatch batch, LossSpec spec) {
    AdapterChecks.requireNonNull(batch, "batch");
    AdapterChecks.requireNonNull(spec, "spec");
    batch.checkLive();
  }

  private static void requireCpu(NativeBatch batch, LossSpec spec) {
    requireBatch(batch, spec);
    if (batch.device.isCuda()) {
      throw new IllegalArgumentException("batch lives on " + batch.device
          + ": results on the heap need a CPU batch; use the NativeStats overloads for CUDA");
    }
  }

  private static void requireGrad(NativeGrad grad, NativeBatch batch) {
    AdapterChecks.requireNonNull(grad, "grad");
    grad.check(batch);
  }

  /** Throws when an input of {@code count > 0} elements has the address 0. */
  private static void requireAddress(long address, long count, String name) {
    if (address == 0 && count > 0) {
      throw new IllegalArgumentException(name + " address is 0");
    }
  }

  /**
   * The layout checks of every heap overload (also {@link TokenLoss}'s and {@link PolicyLoss}'s),
   * in this order: logits (length -1 when null), targets, offsets and spec present; vocab >= 1;
   * logits.length == targets.length * vocab; at least one offset. Returns the number of rows.
   */
  static int checkHeap(long logitsLength, int vocab, int[] targets, int[] offsets,
      LossSpec spec) {
    if (logitsLength < 0) {
      throw new IllegalArgumentException("logits is null");
    }
    AdapterChecks.requireNonNull(targets, "targets");
    AdapterChecks.requireNonNull(offsets, "offsets");
    AdapterChecks.requireNonNull(spec, "spec");
    if (vocab < 1) {
      throw new IllegalArgumentException("vocab = " + vocab + " must be >= 1");
    }
    long expected = (long) targets.length * vocab;
    if (logitsLength != expected) {
      throw new IllegalArgumentException("logits.length = " + logitsLength
          + " must equal targets.length * vocab = " + targets.length + " * " + vocab + " = "
          + expected);
    }
    if (offsets.length < 1) {
      throw new IllegalArgumentException(
          "offsets.length = 0: offsets needs samples + 1 entries, starting with 0");
    }
    return targets.length;
  }

  private static int sizeOf(long n, String name) {
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          name + " = " + n + " is too large for heap results; use the NativeStats overloads");
    }
    return (int) n;
  }

  /**
   * The batch of one native call: heap arrays (logits a float[] or short[], targets and offsets
   * int[], CPU) or the addresses of a {@link NativeBatch}. Shape checks of the heap overloads run
   * here, before any native call.
   */
  private static final class Args {
    final Object logits;
    final int[] targets;
    final int[] offsets;
    final long logitsAddress;
    final long targetsAddress;
    final long offsetsAddress;
    final long rows;
    final long vocab;
    final long samples;
    /** The batch's scalars as the JNI bridge takes them ({@code NativeBatch.nativeFields}). */
    final long[] nativeFields;

    private Args(Object logits, int[] targets, int[] offsets, NativeBatch b, long[] nativeFields,
        long rows, long vocab, long samples) {
      this.logits = logits;
      this.targets = targets;
      this.offsets = offsets;
      this.logitsAddress = b == null ? 0 : b.logits;
      this.targetsAddress = b == null ? 0 : b.targets;
      this.offsetsAddress = b == null ? 0 : b.offsets;
      this.nativeFields = nativeFields;
      this.rows = rows;
      this.vocab = vocab;
      this.samples = samples;
    }

    static Args of(NativeBatch b) {
      return new Args(null, null, null, b, b.nativeFields, b.rows, b.vocab, b.samples);
    }

    static Args heap(Object logits, long logitsLength, DType dtype, int vocab, int[] targets,
        int[] offsets, LossSpec spec) {
      int rows = checkHeap(logitsLength, vocab, targets, offsets, spec);
      long samples = offsets.length - 1;
      return new Args(logits, targets, offsets, null,
          NativeBatch.heapFields(dtype, rows, vocab, samples), rows, vocab, samples);
    }

    static void checkCoefficients(float[] coefficients, long samples) {
      AdapterChecks.requireNonNull(coefficients, "coefficients");
      if (coefficients.length != samples) {
        throw new IllegalArgumentException("coefficients.length = " + coefficients.length
            + " must equal the number of samples = " + samples);
      }
    }

    /**
     * A heap gradient: the logits' length, and no alias of an input other than the logits
     * themselves (in place). The arrays are distinct Java objects or the same one, so identity
     * is the whole overlap test.
     */
    void checkHeapGrad(Object grad, long gradLength, float[] coefficients) {
      checkCoefficients(coefficients, samples);
      if (gradLength < 0) {
        throw new IllegalArgumentException("grad is null");
      }
      if (gradLength != rows * vocab) {
        throw new IllegalArgumentException(
            "grad.length = " + gradLength + " must equal logits.length = " + rows * vocab);
      }
      if (grad == coefficients) {
        throw new IllegalArgumentException(
            "grad overlaps coefficients: outputs may not alias inputs (only grad == logits)");
      }
    }

    void checkStats(SampleStats stats) {
      AdapterChecks.requireNonNull(stats, "stats");
      if (stats.rows() != rows) {
        throw new IllegalArgumentException("stats has " + stats.rows() + " rows but the batch has "
            + rows + ": pass the stats of forward on the same batch");
      }
    }
  }
}
