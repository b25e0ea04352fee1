package dev.reweigh.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The measurement plan the kernel benchmarks share: average time per call in milliseconds, one
 * state per benchmark, five 1 s measurement iterations (more forks beat longer iterations) and
 * one fork with {@link BenchJvm}'s memory limits, because the data fill (up to 1 GB) and loading
 * a peer library dominate a fork's cost ({@code benchmarks/run} passes its own plan on the command
 * line, which wins over these). JMH reads these annotations through the class hierarchy and takes a
 * subclass's own annotation over the inherited one: each benchmark states its warmup, and its unit
 * or fork where they differ.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.MAX_PHYSICAL, BenchJvm.MAX_BYTES, BenchJvm.HEAP})
public abstract class JmhPlan {

  /** Subclasses only. */
  protected JmhPlan() {}
}
