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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Overhead of vocabulary-sharded partials in process ({@link ShardedBlocks}): K = 2 and 4 column
 * blocks against the unsharded kernel (K = 1), same logits, gradient into a separate buffer.
 * {@link ShardedPairedProbe} gives the same ratios from interleaved rounds.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.MAX_PHYSICAL, BenchJvm.MAX_BYTES, BenchJvm.HEAP})
public class ShardedBench {
  @Param({"4096x32000"})
  public String shape;

  @Param({"f32", "bf16"})
  public String dtype;

  @Param({"1", "2", "4"})
  public int shards;

  private BenchData data;
  private ShardedBlocks blocks;

  @Setup
  public void setUp() {
    data = BenchData.create(shape, dtype, true);
    blocks = new ShardedBlocks(data, shards);
  }

  @TearDown
  public void tearDown() {
    data.close();
  }

  @Benchmark
  public double forwardBackward() {
    return blocks.forwardBackward();
  }
}
