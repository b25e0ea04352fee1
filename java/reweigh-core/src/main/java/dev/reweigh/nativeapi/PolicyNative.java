package dev.reweigh.nativeapi;

import static dev.reweigh.nativeapi.ReweighNative.F32;
import static dev.reweigh.nativeapi.ReweighNative.F64;
import static dev.reweigh.nativeapi.ReweighNative.I64;
import static dev.reweigh.nativeapi.ReweighNative.I8;
import static dev.reweigh.nativeapi.ReweighNative.VOID;

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

  @CriticalRegion
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
