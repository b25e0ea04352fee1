package dev.reweigh.bench;

import dev.reweigh.FusedLoss;
import dev.reweigh.SampleStats;
import java.util.concurrent.TimeUnit;
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
 * {@code FusedLoss.backward} (the two-phase path: coefficients computed from a previous forward),
 * gradient into a separate buffer so the input never changes. Byte model: one read and one write
 * per logit, 2 * rows * vocab * elementSize.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
// The first iteration pays the thread-pool start and the JIT of the Java wrapper; two more let
// the frequency settle.
@Warmup(iterations = 3, time = 1)
// Five 1 s iterations: 25 to 250 calls at the big shapes; more forks beat longer iterations.
@Measurement(iterations = 5, time = 1)
// One fork: the data fill (up to 1 GB) dominates a fork's cost; --full adds forks from the CLI.
@Fork(value = 1, jvmArgsAppend = {BenchJvm.MAX_PHYSICAL, BenchJvm.MAX_BYTES, BenchJvm.HEAP})
public class BackwardBench {
  @Param({"4096x32000", "1024x128256", "16384x4096", "8x32000"})
  public String shape;

  @Param({"f32", "bf16"})
  public String dtype;

  private BenchData data;
  private SampleStats stats;

  @Setup(Level.Trial)
  public void setUp() {
    data = BenchData.create(shape, dtype, true);
    stats = FusedLoss.forward(data.batch, data.spec);
    Guard.loss(stats);
    FusedLoss.backward(data.batch, stats, data.coefficients, data.spec, data.gradOut);
    Guard.gradientRowsSumToZero(data);
  }

  @Benchmark
  public SampleStats backward() {
    FusedLoss.backward(data.batch, stats, data.coefficients, data.spec, data.gradOut);
    return stats;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    data.close();
  }
}
