package dev.reweigh.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Fused linear + cross-entropy (forward + backward of the weighted loss, gradients of hidden and
 * weight) against libtorch's unfused path, same data, same thread count ({@link
 * LinearHeadData}). One call is seconds of GEMM on a CPU, so single-shot timing; the peak extra
 * memory of each path comes from {@link FusedLinearMemoryProbe} in a fresh JVM.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.MAX_PHYSICAL, BenchJvm.MAX_BYTES, BenchJvm.HEAP})
public class FusedLinearBench {
  @Param({"4096x1024x32000", "2048x2048x128256"})
  public String shape;

  @Param({"f32", "bf16"})
  public String dtype;

  /** Logits budget per chunk of the fused path, MiB. */
  @Param({"32"})
  public long chunkMiB;

  private LinearHeadData data;

  @Setup
  public void setUp() {
    data = new LinearHeadData(shape, dtype);
  }

  @Benchmark
  public double fused() {
    return data.fused(chunkMiB << 20);
  }

  @Benchmark
  public double unfused() {
    return data.unfused();
  }
}
