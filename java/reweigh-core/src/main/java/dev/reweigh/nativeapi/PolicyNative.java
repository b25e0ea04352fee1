package dev.reweigh.nativeapi;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JavaCPP binding of {@code reweigh_policy_forward_backward} (the one-pass policy-gradient
 * step, {@code native/include/reweigh/reweigh.h}) through the flat wrapper of {@code
 * reweigh_policy_jni.h}. Internal: use {@link dev.reweigh.PolicyLoss}. Overload kinds, parameter
 * order and packed options are those of {@link ReweighNative}; a {@code null} array is a NULL
 * pointer.
 */
@Platform(
    include = {"reweigh/reweigh.h", "reweigh_jni.h", "reweigh_policy_jni.h"},
    link = "reweigh")
@NoException
public final class PolicyNative {
  static {
    Loader.load();
  }

  private PolicyNative() {}

  @CriticalRegion
  public static native int reweigh_jni_policy_forward_backward(
      float[] logits, int logitsDtype, long rows, long vocab, long rowStride,
      int[] targets, int targetsDtype, int[] offsets, int offsetsDtype, long samples,
      int deviceType, int deviceIndex, long stream,
      @Cast("const double*") double[] floatOptions, @Cast("const int64_t*") long[] intOptions,
      int loss, int level, double epsLow, double epsHigh, double klCoefficient,
      float[] oldLogp, float[] advantages, float[] refLogp, float[] entropyWeights,
      float[] rowLogp, float[] rowEntropy, float[] rowWeights, @Cast("int8_t*") byte[] rowClipped,
      double[] objective, @Cast("int64_t*") long[] clipCounts, float[] grad, long gradRowStride);

  @CriticalRegion
  public static native int reweigh_jni_policy_forward_backward(
      short[] logits, int logitsDtype, long rows, long vocab, long rowStride,
      int[] targets, int targetsDtype, int[] offsets, int offsetsDtype, long samples,
      int deviceType, int deviceIndex, long stream,
      @Cast("const double*") double[] floatOptions, @Cast("const int64_t*") long[] intOptions,
      int loss, int level, double epsLow, double epsHigh, double klCoefficient,
      float[] oldLogp, float[] advantages, float[] refLogp, float[] entropyWeights,
      float[] rowLogp, float[] rowEntropy, float[] rowWeights, @Cast("int8_t*") byte[] rowClipped,
      double[] objective, @Cast("int64_t*") long[] clipCounts, short[] grad, long gradRowStride);

  @CriticalRegion
  public static native int reweigh_jni_policy_forward_backward(
      @Cast("const void*") long logits, int logitsDtype, long rows, long vocab, long rowStride,
      @Cast("const void*") long targets, int targetsDtype,
      @Cast("const void*") long offsets, int offsetsDtype, long samples,
      int deviceType, int deviceIndex, long stream,
      @Cast("const double*") double[] floatOptions, @Cast("const int64_t*") long[] intOptions,
      int loss, int level, double epsLow, double epsHigh, double klCoefficient,
      float[] oldLogp, float[] advantages, float[] refLogp, float[] entropyWeights,
      float[] rowLogp, float[] rowEntropy, float[] rowWeights, @Cast("int8_t*") byte[] rowClipped,
      double[] objective, @Cast("int64_t*") long[] clipCounts, @Cast("void*") long grad,
      long gradRowStride);

  /** Every array by address in the batch's memory space (CPU or CUDA). */
  public static native int reweigh_jni_policy_forward_backward(
      @Cast("const void*") long logits, int logitsDtype, long rows, long vocab, long rowStride,
      @Cast("const void*") long targets, int targetsDtype,
      @Cast("const void*") long offsets, int offsetsDtype, long samples,
      int deviceType, int deviceIndex, long stream,
      @Cast("const double*") double[] floatOptions, @Cast("const int64_t*") long[] intOptions,
      int loss, int level, double epsLow, double epsHigh, double klCoefficient,
      @Cast("const float*") long oldLogp, @Cast("const float*") long advantages,
      @Cast("const float*") long refLogp, @Cast("const float*") long entropyWeights,
      @Cast("float*") long rowLogp, @Cast("float*") long rowEntropy,
      @Cast("float*") long rowWeights, @Cast("int8_t*") long rowClipped,
      @Cast("double*") long objective, @Cast("int64_t*") long clipCounts,
      @Cast("void*") long grad, long gradRowStride);
}
