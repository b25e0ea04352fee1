package dev.reweigh.nativeapi;

import static dev.reweigh.nativeapi.ReweighNative.F32;
import static dev.reweigh.nativeapi.ReweighNative.I64;
import static dev.reweigh.nativeapi.ReweighNative.VOID;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JavaCPP binding of {@code reweigh_ce_backward_rows} (per-row loss and entropy coefficients,
 * {@code native/include/reweigh/reweigh.h}) through the flat wrapper of {@code
 * reweigh_token_jni.h}. Internal: use {@link dev.reweigh.TokenLoss}. Overload kinds, parameter
 * order and packed options are those of {@link ReweighNative}; a {@code null} array or a 0 address
 * is a NULL pointer (no entropy term when {@code rowEntropyWeights} is NULL).
 */
@Platform(
    include = {"reweigh/reweigh.h", "reweigh_jni.h", "reweigh_token_jni.h"},
    link = "reweigh")
@NoException
public final class TokenNative {
  static {
    Loader.load();
  }

  private TokenNative() {}

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
}
