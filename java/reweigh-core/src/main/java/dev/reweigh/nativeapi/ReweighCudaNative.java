package dev.reweigh.nativeapi;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JavaCPP binding of the CUDA device-memory helpers of {@code native/include/reweigh/reweigh.h}
 * ({@code reweigh_cuda_malloc}, {@code _free}, {@code _memcpy}, {@code _synchronize}): enough to
 * run the kernels of {@link ReweighNative} on device memory from Java without a GPU framework
 * (tests, benchmarks). With a tensor library, pass its device pointers to {@link ReweighNative}
 * directly instead.
 *
 * <p>Internal. Every method returns a {@code reweigh_status_t} ({@code UNSUPPORTED} in a CPU-only
 * build or without a device); nothing here throws ({@link NoException}). Addresses are raw
 * {@code void*} as {@code long}. {@code reweigh_cuda_memcpy} is synchronous and infers the
 * direction; the array overloads copy between a Java array and device memory.
 */
@Platform(include = {"reweigh/reweigh.h"}, link = "reweigh")
@NoException
public final class ReweighCudaNative {
  static {
    Loader.load();
  }

  private ReweighCudaNative() {}

  /** {@code ptr[0]} receives the device address (0 for {@code bytes == 0}). */
  public static native int reweigh_cuda_malloc(
      int deviceIndex, long bytes, @Cast("void**") long[] ptr);

  public static native int reweigh_cuda_free(int deviceIndex, @Cast("void*") long ptr);

  public static native int reweigh_cuda_synchronize(int deviceIndex);

  public static native int reweigh_cuda_memcpy(
      @Cast("void*") long dst, @Cast("const void*") long src, long bytes);

  // ---- host array -> device ----------------------------------------------------------------

  public static native int reweigh_cuda_memcpy(
      @Cast("void*") long dst, @Cast("const void*") float[] src, long bytes);

  public static native int reweigh_cuda_memcpy(
      @Cast("void*") long dst, @Cast("const void*") short[] src, long bytes);

  public static native int reweigh_cuda_memcpy(
      @Cast("void*") long dst, @Cast("const void*") int[] src, long bytes);

  public static native int reweigh_cuda_memcpy(
      @Cast("void*") long dst, @Cast("const void*") long[] src, long bytes);

  // ---- device -> host array ----------------------------------------------------------------

  public static native int reweigh_cuda_memcpy(
      @Cast("void*") float[] dst, @Cast("const void*") long src, long bytes);

  public static native int reweigh_cuda_memcpy(
      @Cast("void*") short[] dst, @Cast("const void*") long src, long bytes);

  public static native int reweigh_cuda_memcpy(
      @Cast("void*") long[] dst, @Cast("const void*") long src, long bytes);

  public static native int reweigh_cuda_memcpy(
      @Cast("void*") double[] dst, @Cast("const void*") long src, long bytes);
}
