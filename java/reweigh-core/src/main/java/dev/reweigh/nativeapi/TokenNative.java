package dev.reweigh.nativeapi;

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
  public static native int reweigh_jni_backward_rows(
      float[] logits, int logitsDtype, long rows, long vocab, long rowStride,
      int[] targets, int targetsDtype, int[] offsets, int offsetsDtype, long samples,
      int deviceType, int deviceIndex, long stream,
      @Cast("const double*") double[] floatOptions, @Cast("const int64_t*") long[] intOptions,
      float[] rowLse, float[] rowEntropy, float[] coefficients, float[] rowWeights,
      float[] rowEntropyWeights, float[] grad, long gradRowStride);

  @CriticalRegion
  public static native int reweigh_jni_backward_rows(
      short[] logits, int logitsDtype, long rows, long vocab, long rowStride,
      int[] targets, int targetsDtype, int[] offsets, int offsetsDtype, long samples,
      int deviceType, int deviceIndex, long stream,
      @Cast("const double*") double[] floatOptions, @Cast("const int64_t*") long[] intOptions,
      float[] rowLse, float[] rowEntropy, float[] coefficients, float[] rowWeights,
      float[] rowEntropyWeights, short[] grad, long gradRowStride);

  public static native int reweigh_jni_backward_rows(
      @Cast("const void*") long logits, int logitsDtype, long rows, long vocab, long rowStride,
      @Cast("const void*") long targets, int targetsDtype,
      @Cast("const void*") long offsets, int offsetsDtype, long samples,
      int deviceType, int deviceIndex, long stream,
      @Cast("const double*") double[] floatOptions, @Cast("const int64_t*") long[] intOptions,
      float[] rowLse, float[] rowEntropy, float[] coefficients, float[] rowWeights,
      float[] rowEntropyWeights, @Cast("void*") long grad, long gradRowStride);

  public static native int reweigh_jni_backward_rows(
      @Cast("const void*") long logits, int logitsDtype, long rows, long vocab, long rowStride,
      @Cast("const void*") long targets, int targetsDtype,
      @Cast("const void*") long offsets, int offsetsDtype, long samples,
      int deviceType, int deviceIndex, long stream,
      @Cast("const double*") double[] floatOptions, @Cast("const int64_t*") long[] intOptions,
      @Cast("const float*") long rowLse, @Cast("const float*") long rowEntropy,
      @Cast("const float*") long coefficients, @Cast("const float*") long rowWeights,
      @Cast("const float*") long rowEntropyWeights, @Cast("void*") long grad,
      long gradRowStride);
}
