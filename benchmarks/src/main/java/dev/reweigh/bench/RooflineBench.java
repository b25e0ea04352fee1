package dev.reweigh.bench;

import dev.reweigh.internal.NativeLibrary;
import dev.reweigh.nativeapi.ReweighNative;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * The memory roofline, measured in the same run and JVM settings as the kernels, over the same
 * bytes (rows * vocab * elementSize) and with the kernels' own thread pool (reweigh_bench_copy /
 * reweigh_bench_read in native/src/cpu/roofline.cpp):
 *
 * <ul>
 *   <li>{@code copy}: memcpy of the logits into a second buffer; copy bytes/s = 2 * bytes / time
 *       (one read + one write per byte), the ceiling of forwardBackward and backward;
 *   <li>{@code read}: a sum of the logits with 64 independent accumulators (as fast per byte for
 *       an fp32 as for a bf16 buffer); read bytes/s = bytes / time, the ceiling of forward.
 * </ul>
 */
public class RooflineBench extends BenchState {
  @Param({"f32", "bf16"})
  public String dtype;

  private BytePointer src;
  private BytePointer dst;
  private long bytes;
  private final double[] checksum = new double[1];
  private boolean copied;
  private boolean read;

  @Override
  protected void prepare() {
    NativeLibrary.ensureLoaded();
    BenchData.Shape s = BenchData.Shape.parse(shape);
    bytes = s.elements() * (BenchData.dtype(dtype) == dev.reweigh.DType.F32 ? 4 : 2);
    src = new BytePointer(bytes);
    dst = new BytePointer(bytes);
    Pointer.memset(src, 1, bytes);
    Pointer.memset(dst, 0, bytes);
  }

  @Benchmark
  public int copy() {
    copied = true;
    int status = ReweighNative.reweigh_bench_copy(src.address(), dst.address(), bytes);
    if (status != 0) {
      throw new IllegalStateException("reweigh_bench_copy status " + status);
    }
    return status;
  }

  @Benchmark
  public double read() {
    read = true;
    int status = ReweighNative.reweigh_bench_read(src.address(), bytes, checksum);
    if (status != 0) {
      throw new IllegalStateException("reweigh_bench_read status " + status);
    }
    return checksum[0];
  }

  /**
   * copy: dst (zeros before the trial) holds src's 0x01 bytes at 4096 spread offsets and at the
   * last byte. read: every float of src is the 0x01010101 pattern, so the sum is known.
   */
  @Override
  protected void verify() {
    if (copied) {
      for (long i = 0; i <= 4096; i++) {
        long at = Math.min(bytes - 1, i * (bytes / 4096));
        if (dst.get(at) != 1) {
          throw new IllegalStateException("reweigh_bench_copy left dst[" + at + "] unwritten");
        }
      }
    }
    if (read) {
      double want = (bytes / 4) * (double) Float.intBitsToFloat(0x01010101);
      if (!(Math.abs(checksum[0] - want) <= 1e-3 * want)) {
        throw new IllegalStateException("read checksum " + checksum[0] + ", expected " + want);
      }
    }
  }

  @Override
  protected void release() {
    src.close();
    dst.close();
  }
}
