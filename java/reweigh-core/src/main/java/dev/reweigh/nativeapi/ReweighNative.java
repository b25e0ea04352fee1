package dev.reweigh.nativeapi;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JavaCPP binding of {@code native/include/reweigh/reweigh.h}: one static native method per
 * C entry point, through the flat wrappers of {@code reweigh_jni.h}, {@code reweigh_token_jni.h}
 * (per-row coefficients) and {@code reweigh_policy_jni.h} (the one-pass policy step).
 *
 * <p>Internal: use {@link dev.reweigh.FusedLoss}, {@link dev.reweigh.TokenLoss} and {@link
 * dev.reweigh.PolicyLoss}. Every method returns a {@code reweigh_status_t}
 * that {@code dev.reweigh.internal.Status#check} turns into an exception; nothing here throws.
 * {@link NoException} removes JavaCPP's try/catch wrapper, since no C++ exception crosses the ABI.
 *
 * <p>Three kinds of overloads per kernel (the vocabulary-sharded ones are in {@link
 * ReweighShardNative}):
 *
 * <ul>
 *   <li>heap logits, pinned with {@code GetPrimitiveArrayCritical} ({@link CriticalRegion}): no
 *       copy, the GC waits for the call. {@code grad == logits} then really is in place. These
 *       are the only critical regions: the kernel reads a heap array that is too large to copy;
 *   <li>native inputs by address, per-sample outputs in heap arrays (the CPU pointer path): the
 *       small heap arrays are copied in and out ({@code Get/Release<Type>ArrayElements}), so no
 *       critical region blocks the GC for the length of the kernel;
 *   <li>everything by address (device memory, or caller-owned native outputs).
 * </ul>
 *
 * The batch and option parameters are the same in every overload, in the order of {@code
 * REWEIGH_JNI_BATCH_PARAMS}: the logits, targets and offsets (heap arrays or addresses), then
 * {@code batchFields}, the batch's scalars in the order of reweigh_jni.h's enum (built once per
 * {@code NativeBatch}, or per heap call), and the options packed as {@code floatOptions =
 * {labelSmoothing, zLoss, softcap, logitScale, normalizer}} and {@code intOptions = {ignoreIndex,
 * tokenReduction, normalization, checkFinite}} (built once per {@code LossSpec}). A {@code Cast}
 * names the pointer type the C wrapper takes (a {@code const} parameter accepts the plain one).
 * The overloads differ only in how each argument crosses: JavaCPP maps each Java argument-type
 * combination (heap array, bf16 {@code short[]}, raw address) to its own {@code native}
 * declaration.
 */
@Platform(
    include = {"reweigh/reweigh.h", "reweigh/reweigh_bench.h", "reweigh_jni.h",
        "reweigh_token_jni.h", "reweigh_policy_jni.h"},
    link = "reweigh")
@NoException
public final class ReweighNative {
  static {
    Loader.load();
  }

  private ReweighNative() {}

  public static final int ABI_VERSION = 2;

  /** The pointer types of the casts (JavaCPP passes a Java {@code long} as {@code jlong}). */
  static final String VOID = "void*";

  static final String F32 = "float*";

  static final String F64 = "double*";

  static final String I64 = "int64_t*";

  static final String I8 = "int8_t*";

  public static native int reweigh_abi_version();

  public static native @Cast("const char*") String reweigh_version_string();

  public static native @Cast("const char*") String reweigh_status_string(
      @Cast("reweigh_status_t") int status);

  public static native @Cast("const char*") String reweigh_last_error();

  public static native @Cast("const char*") String reweigh_cpu_isa();

  public static native int reweigh_set_cpu_isa(@Cast("const char*") String isa);

  public static native int reweigh_num_threads();

  public static native int reweigh_set_num_threads(int threads);

  public static native int reweigh_cuda_compiled();

  public static native int reweigh_cuda_device_count();

  public static native int reweigh_pointer_device(
      @Cast("const void*") long ptr, int[] deviceType, int[] deviceIndex);

  public static native @Cast("const char*") String reweigh_cuda_unavailable_reason();

  // ---- roofline helpers of reweigh/reweigh_bench.h (benchmarks only) ------------------------

  public static native int reweigh_bench_copy(
      @Cast("const void*") long src, @Cast("void*") long dst, long bytes);

  public static native int reweigh_bench_read(
      @Cast("const void*") long src, long bytes, double[] checksum);

  public static native int reweigh_bench_exp(long elements, double[] checksum);

  // ---- forward ---------------------------------------------------------------------------

  @CriticalRegion
  public static native int reweigh_jni_forward(float[] logits, int[] targets, int[] offsets,
      @Cast(I64) long[] batchFields, double[] floatOptions, @Cast(I64) long[] intOptions,
      float[] loss, float[] logProbSum, @Cast(I64) long[] tokenCount, float[] meanEntropy,
      float[] rowLse, float[] rowLogp, float[] rowEntropy);

  @CriticalRegion
  public static native int reweigh_jni_forward(short[] logits, int[] targets, int[] offsets,
      @Cast(I64) long[] batchFields, double[] floatOptions, @Cast(I64) long[] intOptions,
      float[] loss, float[] logProbSum, @Cast(I64) long[] tokenCount, float[] meanEntropy,
      float[] rowLse, float[] rowLogp, float[] rowEntropy);

  public static native int reweigh_jni_forward(@Cast(VOID) long logits, @Cast(VOID) long targets,
      @Cast(VOID) long offsets, @Cast(I64) long[] batchFields, double[] floatOptions,
      @Cast(I64) long[] intOptions, float[] loss, float[] logProbSum,
      @Cast(I64) long[] tokenCount, float[] meanEntropy, float[] rowLse, float[] rowLogp,
      float[] rowEntropy);

  public static native int reweigh_jni_forward(@Cast(VOID) long logits, @Cast(VOID) long targets,
      @Cast(VOID) long offsets, @Cast(I64) long[] batchFields, double[] floatOptions,
      @Cast(I64) long[] intOptions, @Cast(F32) long loss, @Cast(F32) long logProbSum,
      @Cast(I64) long tokenCount, @Cast(F32) long meanEntropy, @Cast(F32) long rowLse,
      @Cast(F32) long rowLogp, @Cast(F32) long rowEntropy);

  // ---- backward --------------------------------------------------------------------------

  @CriticalRegion
  public static native int reweigh_jni_backward(float[] logits, int[] targets, int[] offsets,
      @Cast(I64) long[] batchFields, double[] floatOptions, @Cast(I64) long[] intOptions,
      float[] rowLse, float[] coefficients, float[] grad, long gradRowStride);

  @CriticalRegion
  public static native int reweigh_jni_backward(short[] logits, int[] targets, int[] offsets,
      @Cast(I64) long[] batchFields, double[] floatOptions, @Cast(I64) long[] intOptions,
      float[] rowLse, float[] coefficients, short[] grad, long gradRowStride);

  public static native int reweigh_jni_backward(@Cast(VOID) long logits, @Cast(VOID) long targets,
      @Cast(VOID) long offsets, @Cast(I64) long[] batchFields, double[] floatOptions,
      @Cast(I64) long[] intOptions, float[] rowLse, float[] coefficients, @Cast(VOID) long grad,
      long gradRowStride);

  public static native int reweigh_jni_backward(@Cast(VOID) long logits, @Cast(VOID) long targets,
      @Cast(VOID) long offsets, @Cast(I64) long[] batchFields, double[] floatOptions,
      @Cast(I64) long[] intOptions, @Cast(F32) long rowLse, @Cast(F32) long coefficients,
      @Cast(VOID) long grad, long gradRowStride);

  // ---- forward + backward ----------------------------------------------------------------

  @CriticalRegion
  public static native int reweigh_jni_forward_backward(float[] logits, int[] targets,
      int[] offsets, @Cast(I64) long[] batchFields, double[] floatOptions,
      @Cast(I64) long[] intOptions, float[] coefficients, float[] grad, long gradRowStride,
      float[] loss, float[] logProbSum, @Cast(I64) long[] tokenCount, float[] meanEntropy,
      float[] rowLse, float[] rowLogp, float[] rowEntropy, double[] total);

  @CriticalRegion
  public static native int reweigh_jni_forward_backward(short[] logits, int[] targets,
      int[] offsets, @Cast(I64) long[] batchFields, double[] floatOptions,
      @Cast(I64) long[] intOptions, float[] coefficients, short[] grad, long gradRowStride,
      float[] loss, float[] logProbSum, @Cast(I64) long[] tokenCount, float[] meanEntropy,
      float[] rowLse, float[] rowLogp, float[] rowEntropy, double[] total);

  public static native int reweigh_jni_forward_backward(@Cast(VOID) long logits,
      @Cast(VOID) long targets, @Cast(VOID) long offsets, @Cast(I64) long[] batchFields,
      double[] floatOptions, @Cast(I64) long[] intOptions, float[] coefficients,
      @Cast(VOID) long grad, long gradRowStride, float[] loss, float[] logProbSum,
      @Cast(I64) long[] tokenCount, float[] meanEntropy, float[] rowLse, float[] rowLogp,
      float[] rowEntropy, double[] total);

  public static native int reweigh_jni_forward_backward(@Cast(VOID) long logits,
      @Cast(VOID) long targets, @Cast(VOID) long offsets, @Cast(I64) long[] batchFields,
      double[] floatOptions, @Cast(I64) long[] intOptions, @Cast(F32) long coefficients,
      @Cast(VOID) long grad, long gradRowStride, @Cast(F32) long loss,
      @Cast(F32) long logProbSum, @Cast(I64) long tokenCount, @Cast(F32) long meanEntropy,
      @Cast(F32) long rowLse, @Cast(F32) long rowLogp, @Cast(F32) long rowEntropy,
      @Cast(F64) long total);

  // ---- backward with per-row coefficients (reweigh_ce_backward_rows) ------------------------
  // A null array or a 0 address is a NULL pointer (no entropy term when rowEntropyWeights is).

  @CriticalRegion
  public static native int reweigh_jni_backward_rows(float[] logits, int[] targets,
      int[] offsets, @Cast(I64) long[] batchFields, double[] floatOptions,
      @Cast(I64) long[] intOptions, float[] rowLse, float[] rowEntropy, float[] coefficients,
      float[] rowWeights, float[] rowEntropyWeights, float[] grad, long gradRowStride);

  @CriticalRegion
  public static native int reweigh_jni_backward_rows(short[] logits, int[] targets,
      int[] offsets, @Cast(I64) long[] batchFields, double[] floatOptions,
      @Cast(I64) long[] intOptions, float[] rowLse, float[] rowEntropy, float[] coefficients,
      float[] rowWeights, float[] rowEntropyWeights, short[] grad, long gradRowStride);

  public static native int reweigh_jni_backward_rows(@Cast(VOID) long logits,
      @Cast(VOID) long targets, @Cast(VOID) long offsets, @Cast(I64) long[] batchFields,
      double[] floatOptions, @Cast(I64) long[] intOptions, float[] rowLse, float[] rowEntropy,
      float[] coefficients, float[] rowWeights, float[] rowEntropyWeights,
      @Cast(VOID) long grad, long gradRowStride);

  public static native int reweigh_jni_backward_rows(@Cast(VOID) long logits,
      @Cast(VOID) long targets, @Cast(VOID) long offsets, @Cast(I64) long[] batchFields,
      double[] floatOptions, @Cast(I64) long[] intOptions, @Cast(F32) long rowLse,
      @Cast(F32) long rowEntropy, @Cast(F32) long coefficients, @Cast(F32) long rowWeights,
      @Cast(F32) long rowEntropyWeights, @Cast(VOID) long grad, long gradRowStride);

  // ---- the one-pass policy step (reweigh_policy_forward_backward) ---------------------------
  // A null array is a NULL pointer.

  @CriticalRegion
  public static native int reweigh_jni_policy_forward_backward(float[] logits, int[] targets,
      int[] offsets, @Cast(I64) long[] batchFields, double[] floatOptions,
      @Cast(I64) long[] intOptions, int loss, int level, double epsLow, double epsHigh,
      double klCoefficient, float[] oldLogp, float[] advantages, float[] refLogp,
      float[] entropyWeights, float[] rowLogp, float[] rowEntropy, float[] rowWeights,
      @Cast(I8) byte[] rowClipped, double[] objective, @Cast(I64) long[] clipCounts,
      float[] grad, long gradRowStride);

  @CriticalRegion
  public static native int reweigh_jni_policy_forward_backward(short[] logits, int[] targets,
      int[] offsets, @Cast(I64) long[] batchFields, double[] floatOptions,
      @Cast(I64) long[] intOptions, int loss, int level, double epsLow, double epsHigh,
      double klCoefficient, float[] oldLogp, float[] advantages, float[] refLogp,
      float[] entropyWeights, float[] rowLogp, float[] rowEntropy, float[] rowWeights,
      @Cast(I8) byte[] rowClipped, double[] objective, @Cast(I64) long[] clipCounts,
      short[] grad, long gradRowStride);

  public static native int reweigh_jni_policy_forward_backward(@Cast(VOID) long logits,
      @Cast(VOID) long targets, @Cast(VOID) long offsets, @Cast(I64) long[] batchFields,
      double[] floatOptions, @Cast(I64) long[] intOptions, int loss, int level, double epsLow,
      double epsHigh, double klCoefficient, float[] oldLogp, float[] advantages,
      float[] refLogp, float[] entropyWeights, float[] rowLogp, float[] rowEntropy,
      float[] rowWeights, @Cast(I8) byte[] rowClipped, double[] objective,
      @Cast(I64) long[] clipCounts, @Cast(VOID) long grad, long gradRowStride);

  /** Every array by address in the batch's memory space (CPU or CUDA). */
  public static native int reweigh_jni_policy_forward_backward(@Cast(VOID) long logits,
      @Cast(VOID) long targets, @Cast(VOID) long offsets, @Cast(I64) long[] batchFields,
      double[] floatOptions, @Cast(I64) long[] intOptions, int loss, int level, double epsLow,
      double epsHigh, double klCoefficient, @Cast(F32) long oldLogp,
      @Cast(F32) long advantages, @Cast(F32) long refLogp, @Cast(F32) long entropyWeights,
      @Cast(F32) long rowLogp, @Cast(F32) long rowEntropy, @Cast(F32) long rowWeights,
      @Cast(I8) long rowClipped, @Cast(F64) long objective, @Cast(I64) long clipCounts,
      @Cast(VOID) long grad, long gradRowStride);
}
