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
 * malformed offsets, non-finite coefficients, D = 0, null or deallocated buffers, a device buffer
 * given to the CPU path) is an {@link IllegalArgumentException} naming the argument and the first
 * bad index, raised before any output is written. Thread safe: concurrent calls are fine.
 */
public final class FusedLoss {
  private FusedLoss() {}

  private static final int CPU = Device.Kind.CPU.code;

  // ---- heap arrays, fp32 ------------------------------------------------------------------

  /**
   * Per-sample statistics. {@code rows = targets.length}, {@code logits.length == rows * vocab},
   * {@code offsets.length == samples + 1}.
   */
  public static SampleStats forward(
      float[] logits, int vocab, int[] targets, int[] offsets, LossSpec spec) {
    HeapShape shape = HeapShape.of(logits == null ? -1 : logits.length, "logits", vocab, targets,
        offsets, spec);
    SampleStats st = SampleStats.allocate(shape.samples, shape.rows);
    NativeLibrary.ensureLoaded();
    check(ReweighNative.reweigh_jni_forward(logits, DType.F32.code, shape.rows, vocab, vocab,
        targets, IndexType.I32.code, offsets, IndexType.I32.code, shape.samples, CPU, 0, 0L,
        spec.nativeFloats, spec.nativeInts, st.lossArray(), st.logProbSumArray(),
        st.tokenCountArray(), st.meanEntropyArray(), st.rowLseArray(), st.rowLogpArray(),
        st.rowEntropyArray()));
    return st;
  }

  /**
   * Statistics, the objective {@code sum_s c_s loss_s / D} and its gradient with respect to the
   * logits, written to {@code grad} (which may be {@code logits} itself), each row handled while
   * it is in cache.
   */
  public static LossResult forwardBackward(float[] logits, int vocab, int[] targets,
      int[] offsets, float[] coefficients, LossSpec spec, float[] grad) {
    HeapShape shape = HeapShape.of(logits == null ? -1 : logits.length, "logits", vocab, targets,
        offsets, spec);
    shape.checkCoefficients(coefficients);
    shape.checkGrad(grad == null ? -1 : grad.length);
    SampleStats st = SampleStats.allocate(shape.samples, shape.rows);
    double[] total = new double[1];
    NativeLibrary.ensureLoaded();
    check(ReweighNative.reweigh_jni_forward_backward(logits, DType.F32.code, shape.rows, vocab,
        vocab, targets, IndexType.I32.code, offsets, IndexType.I32.code, shape.samples, CPU, 0, 0L,
        spec.nativeFloats, spec.nativeInts, coefficients, grad, vocab, st.lossArray(),
        st.logProbSumArray(), st.tokenCountArray(), st.meanEntropyArray(), st.rowLseArray(),
        st.rowLogpArray(), st.rowEntropyArray(), total));
    return new LossResult(total[0], st);
  }

  /**
   * The gradient alone, for coefficients computed from a previous {@link #forward} (two-phase
   * methods such as DPO): {@code stats} must come from {@code forward} on the same logits and
   * options.
   */
  public static void backward(float[] logits, int vocab, int[] targets, int[] offsets,
      SampleStats stats, float[] coefficients, LossSpec spec, float[] grad) {
    HeapShape shape = HeapShape.of(logits == null ? -1 : logits.length, "logits", vocab, targets,
        offsets, spec);
    shape.checkStats(stats);
    shape.checkCoefficients(coefficients);
    shape.checkGrad(grad == null ? -1 : grad.length);
    NativeLibrary.ensureLoaded();
    check(ReweighNative.reweigh_jni_backward(logits, DType.F32.code, shape.rows, vocab, vocab,
        targets, IndexType.I32.code, offsets, IndexType.I32.code, shape.samples, CPU, 0, 0L,
        spec.nativeFloats, spec.nativeInts, stats.rowLseArray(), coefficients, grad,
        vocab));
  }

  // ---- heap arrays, bf16 (raw bit patterns in short[]) -------------------------------------

  /** {@link #forward(float[], int, int[], int[], LossSpec)} on bf16 logits. */
  public static SampleStats forward(
      short[] logitsBf16, int vocab, int[] targets, int[] offsets, LossSpec spec) {
    HeapShape shape = HeapShape.of(logitsBf16 == null ? -1 : logitsBf16.length, "logits", vocab,
        targets, offsets, spec);
    SampleStats st = SampleStats.allocate(shape.samples, shape.rows);
    NativeLibrary.ensureLoaded();
    check(ReweighNative.reweigh_jni_forward(logitsBf16, DType.BF16.code, shape.rows, vocab, vocab,
        targets, IndexType.I32.code, offsets, IndexType.I32.code, shape.samples, CPU, 0, 0L,
        spec.nativeFloats, spec.nativeInts, st.lossArray(), st.logProbSumArray(),
        st.tokenCountArray(), st.meanEntropyArray(), st.rowLseArray(), st.rowLogpArray(),
        st.rowEntropyArray()));
    return st;
  }

  /** {@link #forwardBackward(float[], int, int[], int[], float[], LossSpec, float[])} on bf16. */
  public static LossResult forwardBackward(short[] logitsBf16, int vocab, int[] targets,
      int[] offsets, float[] coefficients, LossSpec spec, short[] gradBf16) {
    HeapShape shape = HeapShape.of(logitsBf16 == null ? -1 : logitsBf16.length, "logits", vocab,
        targets, offsets, spec);
    shape.checkCoefficients(coefficients);
    shape.checkGrad(gradBf16 == null ? -1 : gradBf16.length);
    SampleStats st = SampleStats.allocate(shape.samples, shape.rows);
    double[] total = new double[1];
    NativeLibrary.ensureLoaded();
    check(ReweighNative.reweigh_jni_forward_backward(logitsBf16, DType.BF16.code, shape.rows,
        vocab, vocab, targets, IndexType.I32.code, offsets, IndexType.I32.code, shape.samples,
        CPU, 0, 0L, spec.nativeFloats, spec.nativeInts, coefficients, gradBf16, vocab,
        st.lossArray(), st.logProbSumArray(), st.tokenCountArray(), st.meanEntropyArray(),
        st.rowLseArray(), st.rowLogpArray(), st.rowEntropyArray(), total));
    return new LossResult(total[0], st);
  }

  /** {@link #backward(float[], int, int[], int[], SampleStats, float[], LossSpec, float[])}. */
  public static void backward(short[] logitsBf16, int vocab, int[] targets, int[] offsets,
      SampleStats stats, float[] coefficients, LossSpec spec, short[] gradBf16) {
    HeapShape shape = HeapShape.of(logitsBf16 == null ? -1 : logitsBf16.length, "logits", vocab,
        targets, offsets, spec);
    shape.checkStats(stats);
    shape.checkCoefficients(coefficients);
    shape.checkGrad(gradBf16 == null ? -1 : gradBf16.length);
    NativeLibrary.ensureLoaded();
    check(ReweighNative.reweigh_jni_backward(logitsBf16, DType.BF16.code, shape.rows, vocab,
        vocab, targets, IndexType.I32.code, offsets, IndexType.I32.code, shape.samples, CPU, 0,
        0L, spec.nativeFloats, spec.nativeInts, stats.rowLseArray(), coefficients,
        gradBf16, vocab));
  }

  // ---- native memory, results on the heap (CPU batches) ------------------------------------

  /** Per-sample statistics of a CPU batch in native memory. */
  public static SampleStats forward(NativeBatch batch, LossSpec spec) {
    requireCpu(batch, spec);
    SampleStats st = SampleStats.allocate(sizeOf(batch.samples, "samples"),
        sizeOf(batch.rows, "rows"));
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighNative.reweigh_jni_forward(batch.logits, batch.dtype.code, batch.rows,
          batch.vocab, batch.rowStride, batch.targets, batch.targetsType.code, batch.offsets,
          batch.offsetsType.code, batch.samples, batch.device.kind().code, batch.device.index(),
          batch.stream, spec.nativeFloats, spec.nativeInts, st.lossArray(), st.logProbSumArray(),
          st.tokenCountArray(), st.meanEntropyArray(), st.rowLseArray(), st.rowLogpArray(),
          st.rowEntropyArray()));
    } finally {
      Reference.reachabilityFence(batch);
    }
    return st;
  }

  /** Forward + backward on a CPU batch; the gradient goes to {@code grad} (may be in place). */
  public static LossResult forwardBackward(
      NativeBatch batch, float[] coefficients, LossSpec spec, NativeGrad grad) {
    requireCpu(batch, spec);
    HeapShape.checkCoefficients(coefficients, batch.samples);
    requireGrad(grad, batch);
    SampleStats st = SampleStats.allocate(sizeOf(batch.samples, "samples"),
        sizeOf(batch.rows, "rows"));
    double[] total = new double[1];
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighNative.reweigh_jni_forward_backward(batch.logits, batch.dtype.code, batch.rows,
          batch.vocab, batch.rowStride, batch.targets, batch.targetsType.code, batch.offsets,
          batch.offsetsType.code, batch.samples, batch.device.kind().code, batch.device.index(),
          batch.stream, spec.nativeFloats, spec.nativeInts, coefficients, grad.address,
          grad.rowStride, st.lossArray(), st.logProbSumArray(), st.tokenCountArray(),
          st.meanEntropyArray(), st.rowLseArray(), st.rowLogpArray(), st.rowEntropyArray(),
          total));
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(grad);
    }
    return new LossResult(total[0], st);
  }

  /** The gradient alone on a CPU batch, from the statistics of a previous forward. */
  public static void backward(NativeBatch batch, SampleStats stats, float[] coefficients,
      LossSpec spec, NativeGrad grad) {
    requireCpu(batch, spec);
    if (stats == null) {
      throw new IllegalArgumentException("stats is null");
    }
    if (stats.rows() != batch.rows) {
      throw new IllegalArgumentException("stats has " + stats.rows()
          + " rows but the batch has " + batch.rows + ": pass the stats of forward on this batch");
    }
    HeapShape.checkCoefficients(coefficients, batch.samples);
    requireGrad(grad, batch);
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighNative.reweigh_jni_backward(batch.logits, batch.dtype.code, batch.rows,
          batch.vocab, batch.rowStride, batch.targets, batch.targetsType.code, batch.offsets,
          batch.offsetsType.code, batch.samples, batch.device.kind().code, batch.device.index(),
          batch.stream, spec.nativeFloats, spec.nativeInts, stats.rowLseArray(), coefficients,
          grad.address, grad.rowStride));
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(grad);
    }
  }

  // ---- everything in native memory (CPU or CUDA) -------------------------------------------

  /** Forward with every output in caller-owned native memory of the batch's memory space. */
  public static void forward(NativeBatch batch, LossSpec spec, NativeStats out) {
    requireBatch(batch, spec);
    if (out == null) {
      throw new IllegalArgumentException("out is null");
    }
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighNative.reweigh_jni_forward(batch.logits, batch.dtype.code, batch.rows,
          batch.vocab, batch.rowStride, batch.targets, batch.targetsType.code, batch.offsets,
          batch.offsetsType.code, batch.samples, batch.device.kind().code, batch.device.index(),
          batch.stream, spec.nativeFloats, spec.nativeInts, out.loss, out.logProbSum,
          out.tokenCount, out.meanEntropy, out.rowLse, out.rowLogp, out.rowEntropy));
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
    if (out == null) {
      throw new IllegalArgumentException("out is null");
    }
    if (coefficientsAddress == 0 && batch.samples > 0) {
      throw new IllegalArgumentException("coefficients address is 0");
    }
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighNative.reweigh_jni_forward_backward(batch.logits, batch.dtype.code, batch.rows,
          batch.vocab, batch.rowStride, batch.targets, batch.targetsType.code, batch.offsets,
          batch.offsetsType.code, batch.samples, batch.device.kind().code, batch.device.index(),
          batch.stream, spec.nativeFloats, spec.nativeInts, coefficientsAddress, grad.address,
          grad.rowStride, out.loss, out.logProbSum, out.tokenCount, out.meanEntropy, out.rowLse,
          out.rowLogp, out.rowEntropy, totalAddress));
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
    if (rowLseAddress == 0 && batch.rows > 0) {
      throw new IllegalArgumentException("rowLse address is 0");
    }
    if (coefficientsAddress == 0 && batch.samples > 0) {
      throw new IllegalArgumentException("coefficients address is 0");
    }
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighNative.reweigh_jni_backward(batch.logits, batch.dtype.code, batch.rows,
          batch.vocab, batch.rowStride, batch.targets, batch.targetsType.code, batch.offsets,
          batch.offsetsType.code, batch.samples, batch.device.kind().code, batch.device.index(),
          batch.stream, spec.nativeFloats, spec.nativeInts, rowLseAddress, coefficientsAddress,
          grad.address, grad.rowStride));
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(grad);
    }
  }

  // ---- argument checks shared by the native-memory overloads --------------------------------

  private static void requireBatch(NativeBatch batch, LossSpec spec) {
    if (batch == null) {
      throw new IllegalArgumentException("batch is null");
    }
    if (spec == null) {
      throw new IllegalArgumentException("spec is null");
    }
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
    if (grad == null) {
      throw new IllegalArgumentException("grad is null");
    }
    grad.check(batch);
  }

  private static int sizeOf(long n, String name) {
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          name + " = " + n + " is too large for heap results; use the NativeStats overloads");
    }
    return (int) n;
  }

  /** Shape checks of the heap overloads, all before any native call. */
  private static final class HeapShape {
    final int rows;
    final int samples;
    final long elements;

    private HeapShape(int rows, int samples, long elements) {
      this.rows = rows;
      this.samples = samples;
      this.elements = elements;
    }

    static HeapShape of(long logitsLength, String logitsName, int vocab, int[] targets,
        int[] offsets, LossSpec spec) {
      if (logitsLength < 0) {
        throw new IllegalArgumentException(logitsName + " is null");
      }
      if (targets == null) {
        throw new IllegalArgumentException("targets is null");
      }
      if (offsets == null) {
        throw new IllegalArgumentException("offsets is null");
      }
      if (spec == null) {
        throw new IllegalArgumentException("spec is null");
      }
      if (vocab < 1) {
        throw new IllegalArgumentException("vocab = " + vocab + " must be >= 1");
      }
      long expected = (long) targets.length * vocab;
      if (logitsLength != expected) {
        throw new IllegalArgumentException(logitsName + ".length = " + logitsLength
            + " must equal targets.length * vocab = " + targets.length + " * " + vocab + " = "
            + expected);
      }
      if (offsets.length < 1) {
        throw new IllegalArgumentException(
            "offsets.length = 0: offsets needs samples + 1 entries, starting with 0");
      }
      return new HeapShape(targets.length, offsets.length - 1, expected);
    }

    void checkCoefficients(float[] coefficients) {
      checkCoefficients(coefficients, samples);
    }

    static void checkCoefficients(float[] coefficients, long samples) {
      if (coefficients == null) {
        throw new IllegalArgumentException("coefficients is null");
      }
      if (coefficients.length != samples) {
        throw new IllegalArgumentException("coefficients.length = " + coefficients.length
            + " must equal the number of samples = " + samples);
      }
    }

    void checkGrad(long gradLength) {
      if (gradLength < 0) {
        throw new IllegalArgumentException("grad is null");
      }
      if (gradLength != elements) {
        throw new IllegalArgumentException(
            "grad.length = " + gradLength + " must equal logits.length = " + elements);
      }
    }

    void checkStats(SampleStats stats) {
      if (stats == null) {
        throw new IllegalArgumentException("stats is null");
      }
      if (stats.rows() != rows) {
        throw new IllegalArgumentException("stats has " + stats.rows() + " rows but targets has "
            + rows + ": pass the stats of forward on the same batch");
      }
    }
  }
}
