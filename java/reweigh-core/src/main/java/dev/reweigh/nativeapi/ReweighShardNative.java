package dev.reweigh.nativeapi;

import static dev.reweigh.nativeapi.ReweighNative.F32;
import static dev.reweigh.nativeapi.ReweighNative.F64;
import static dev.reweigh.nativeapi.ReweighNative.I64;
import static dev.reweigh.nativeapi.ReweighNative.VOID;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JavaCPP binding of the vocabulary-sharded entry points of {@code
 * native/include/reweigh/reweigh.h}, through the wrappers of {@code reweigh_shard_jni.h}.
 *
 * <p>Internal: use {@link dev.reweigh.ShardedLoss}. The batch arrives by address with the
 * parameters of {@link ReweighNative} (three addresses, the batch's packed scalars, the options'
 * two arrays). The partials come in one of two forms:
 *
 * <ul>
 *   <li>five {@code [rows]} heap float arrays (pinned with {@link CriticalRegion}: no copy), with
 *       heap statistics, coefficients and total;
 *   <li>{@code reweigh_jni_packed_*}: one packed {@code [6, rows]} float32 array by address, in
 *       the batch's memory space, host or device ({@link dev.reweigh.NativePartials}), with
 *       statistics, coefficients and the total by address as in {@link ReweighNative}; the small
 *       option arrays are copied in.
 * </ul>
 *
 * <p>Every method returns a {@code reweigh_status_t}; nothing here throws ({@link NoException}).
 */
@Platform(include = {"reweigh/reweigh.h", "reweigh_jni.h", "reweigh_shard_jni.h"}, link = "reweigh")
@NoException
public final class ReweighShardNative {
  static {
    Loader.load();
  }

  private ReweighShardNative() {}

  @CriticalRegion
  public static native int reweigh_jni_partial_forward(
      @Cast(VOID) long logits, @Cast(VOID) long targets, @Cast(VOID) long offsets,
      @Cast(I64) long[] batchFields, double[] floatOptions, @Cast(I64) long[] intOptions,
      long vocabOffset, long vocabTotal,
      float[] max, float[] sumExp, float[] entropySum, float[] logitSum, float[] targetLogit);

  @CriticalRegion
  public static native int reweigh_jni_partials_merge(long rows,
      float[] fromMax, float[] fromSumExp, float[] fromEntropySum, float[] fromLogitSum,
      float[] fromTargetLogit,
      float[] intoMax, float[] intoSumExp, float[] intoEntropySum, float[] intoLogitSum,
      float[] intoTargetLogit);

  @CriticalRegion
  public static native int reweigh_jni_partials_rebase(long rows, float[] globalMax,
      float[] max, float[] sumExp, float[] entropySum, float[] logitSum, float[] targetLogit);

  @CriticalRegion
  public static native int reweigh_jni_sharded_stats(
      @Cast(VOID) long logits, @Cast(VOID) long targets, @Cast(VOID) long offsets,
      @Cast(I64) long[] batchFields, double[] floatOptions, @Cast(I64) long[] intOptions,
      long vocabTotal,
      float[] max, float[] sumExp, float[] entropySum, float[] logitSum, float[] targetLogit,
      float[] coefficients,
      float[] loss, float[] logProbSum, @Cast(I64) long[] tokenCount, float[] meanEntropy,
      float[] rowLse, float[] rowLogp, float[] rowEntropy, double[] total);

  @CriticalRegion
  public static native int reweigh_jni_sharded_backward(
      @Cast(VOID) long logits, @Cast(VOID) long targets, @Cast(VOID) long offsets,
      @Cast(I64) long[] batchFields, double[] floatOptions, @Cast(I64) long[] intOptions,
      long vocabOffset, long vocabTotal,
      float[] max, float[] sumExp, float[] entropySum, float[] logitSum, float[] targetLogit,
      float[] coefficients, @Cast(VOID) long grad, long gradRowStride);

  @CriticalRegion
  public static native int reweigh_jni_normalizer(
      @Cast(VOID) long logits, @Cast(VOID) long targets, @Cast(VOID) long offsets,
      @Cast(I64) long[] batchFields, double[] floatOptions, @Cast(I64) long[] intOptions,
      long vocabTotal, float[] coefficients, double[] normalizer);
  public static native int reweigh_jni_packed_partial_forward(
      @Cast(VOID) long logits, @Cast(VOID) long targets, @Cast(VOID) long offsets,
      @Cast(I64) long[] batchFields, double[] floatOptions, @Cast(I64) long[] intOptions,
      long vocabOffset, long vocabTotal, @Cast(F32) long partials);

  public static native int reweigh_jni_packed_partials_merge_on(int deviceType, int deviceIndex,
      long stream, long rows, @Cast(F32) long from, @Cast(F32) long into);

  public static native int reweigh_jni_packed_partials_rebase_on(int deviceType, int deviceIndex,
      long stream, long rows, @Cast(F32) long partials);

  public static native int reweigh_jni_packed_sharded_stats(
      @Cast(VOID) long logits, @Cast(VOID) long targets, @Cast(VOID) long offsets,
      @Cast(I64) long[] batchFields, double[] floatOptions, @Cast(I64) long[] intOptions,
      long vocabTotal, @Cast(F32) long partials, @Cast(F32) long coefficients,
      @Cast(F32) long loss, @Cast(F32) long logProbSum, @Cast(I64) long tokenCount,
      @Cast(F32) long meanEntropy, @Cast(F32) long rowLse, @Cast(F32) long rowLogp,
      @Cast(F32) long rowEntropy, @Cast(F64) long total);

  public static native int reweigh_jni_packed_sharded_backward(
      @Cast(VOID) long logits, @Cast(VOID) long targets, @Cast(VOID) long offsets,
      @Cast(I64) long[] batchFields, double[] floatOptions, @Cast(I64) long[] intOptions,
      long vocabOffset, long vocabTotal, @Cast(F32) long partials, @Cast(F32) long coefficients,
      @Cast(VOID) long grad, long gradRowStride);
}
