package dev.reweigh.nativeapi;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JavaCPP binding of {@code native/include/reweigh/reweigh.h}: one static native method per
 * C entry point, through the flat wrappers of {@code reweigh_jni.h}.
 *
 * <p>Internal: use {@link dev.reweigh.FusedLoss}. Every method returns a {@code reweigh_status_t}
 * that {@code dev.reweigh.internal.Status#check} turns into an exception; nothing here throws.
 * {@link NoException} removes JavaCPP's try/catch wrapper, since no C++ exception crosses the ABI.
 *
 * <p>Three kinds of overloads per kernel:
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
    include = {"reweigh/reweigh.h", "reweigh/reweigh_bench.h", "reweigh_jni.h"},
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
}
