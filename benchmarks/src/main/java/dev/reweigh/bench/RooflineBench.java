package dev.reweigh.bench;

import dev.reweigh.internal.NativeLibrary;
import dev.reweigh.nativeapi.ReweighNative;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The memory roofline, measured in the same run and JVM settings as the kernels, over the same
 * bytes (rows * vocab * elementSize) and with the kernels' own thread pool (reweigh_bench_copy /
 * reweigh_bench_read in native/src/cpu/roofline.cpp):
 *
 * <ul>
 *   <li>{@code copy}: memcpy of the logits into a second buffer; copy bytes/s = 2 * bytes / time
 *       (one read + one write per byte), the ceiling of forwardBackward and backward;
 *   <li>{@code read}: a vectorised sum of the logits; read bytes/s = bytes / time, the ceiling
 *       of forward.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
// The first iteration faults in the destination's pages and starts the thread pool.
@Warmup(iterations = 3, time = 1)
// Same measurement plan as the kernel benchmarks, so the ratios compare like with like.
@Measurement(iterations = 5, time = 1)
// One fork, as the kernel benchmarks.
@Fork(value = 1, jvmArgsAppend = {BenchJvm.MAX_PHYSICAL, BenchJvm.MAX_BYTES, BenchJvm.HEAP})
public class RooflineBench {
  @Param({"4096x32000", "1024x128256", "16384x4096", "8x32000"})
  public String shape;

  @Param({"f32", "bf16"})
  public String dtype;

  private Pointer src;
  private Pointer dst;
  private long bytes;
  private final double[] checksum = new double[1];

  @Setup(Level.Trial)
  public void setUp() {
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
    int status = ReweighNative.reweigh_bench_copy(src.address(), dst.address(), bytes);
    if (status != 0) {
      throw new IllegalStateException("reweigh_bench_copy status " + status);
    }
    return status;
  }

  @Benchmark
  public double read() {
    int status = ReweighNative.reweigh_bench_read(src.address(), bytes, checksum);
    if (status != 0) {
      throw new IllegalStateException("reweigh_bench_read status " + status);
    }
    return checksum[0];
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    src.close();
    dst.close();
  }
}
