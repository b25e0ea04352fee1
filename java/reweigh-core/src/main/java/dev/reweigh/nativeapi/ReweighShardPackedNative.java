package dev.reweigh.nativeapi;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JavaCPP binding of the vocabulary-sharded entry points of {@code
 * native/include/reweigh/reweigh.h} for partials in native memory, host or device, through the
 * wrappers of {@code reweigh_shard_packed_jni.h}.
 *
 * <p>Internal: use {@link dev.reweigh.ShardedLoss} with {@link dev.reweigh.NativePartials}. The
 * batch and options arrive as in {@link ReweighNative} (three addresses, the batch's packed
 * scalars, the options' two arrays); a shard's partials are one packed {@code [6, rows]} float32
 * array by address, in the batch's memory space; statistics, coefficients and the total by
 * address as in {@link ReweighNative}. Every method returns a
 * {@code reweigh_status_t}; nothing here throws ({@link NoException}).
 */
@Platform(include = {"reweigh/reweigh.h", "reweigh_jni.h", "reweigh_shard_packed_jni.h"},
    link = "reweigh")
@NoException
public final class ReweighShardPackedNative {
  static {
    Loader.load();
  }

  private ReweighShardPackedNative() {}

  public static native int reweigh_jni_packed_partial_forward(
      @Cast("const void*") long logits, @Cast("const void*") long targets,
      @Cast("const void*") long offsets, @Cast("const int64_t*") long[] batchFields,
      @Cast("const double*") double[] floatOptions, @Cast("const int64_t*") long[] intOptions,
      long vocabOffset, long vocabTotal, @Cast("float*") long partials);

  public static native int reweigh_jni_packed_partials_merge_on(int deviceType, int deviceIndex,
      long stream, long rows, @Cast("float*") long from, @Cast("float*") long into);

  public static native int reweigh_jni_packed_partials_rebase_on(int deviceType, int deviceIndex,
      long stream, long rows, @Cast("float*") long partials);

  public static native int reweigh_jni_packed_sharded_stats(
      @Cast("const void*") long logits, @Cast("const void*") long targets,
      @Cast("const void*") long offsets, @Cast("const int64_t*") long[] batchFields,
      @Cast("const double*") double[] floatOptions, @Cast("const int64_t*") long[] intOptions,
      long vocabTotal, @Cast("float*") long partials, @Cast("const float*") long coefficients,
      @Cast("float*") long loss, @Cast("float*") long logProbSum,
      @Cast("int64_t*") long tokenCount, @Cast("float*") long meanEntropy,
      @Cast("float*") long rowLse, @Cast("float*") long rowLogp, @Cast("float*") long rowEntropy,
      @Cast("double*") long total);

  public static native int reweigh_jni_packed_sharded_backward(
      @Cast("const void*") long logits, @Cast("const void*") long targets,
      @Cast("const void*") long offsets, @Cast("const int64_t*") long[] batchFields,
      @Cast("const double*") double[] floatOptions, @Cast("const int64_t*") long[] intOptions,
      long vocabOffset, long vocabTotal, @Cast("float*") long partials,
      @Cast("const float*") long coefficients, @Cast("void*") long grad, long gradRowStride);
}
