package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The setup core every Reweigh-side benchmark shares: the measurement plan, the shape, the CPU
 * variant and thread count of the trial, and one trial-level setup and teardown that subclasses
 * fill in through {@link #prepare()}, {@link #verify()} and {@link #release()}.
 *
 * <p>{@code isa} and {@code threads} select the kernels and the pool for the whole trial ({@code
 * auto} and {@code 0} leave the library's own choice: REWEIGH_CPU_ISA and REWEIGH_NUM_THREADS
 * when set, else the best variant and one thread per core);
 * {@link JmhResults} leaves those defaults out of its keys, so results of older runs still match.
 * {@link #verify()} runs once per trial, after the last measured call, and throws when the
 * outputs are wrong: a benchmark that computes garbage fails instead of reporting a figure.
 */
// The first iteration pays the thread-pool start, the per-thread scratch and the JIT of the
// Java wrapper; two more let the frequency settle. The plan's five 1 s iterations are 25 to 250
// calls at the big shapes.
@Warmup(iterations = 3, time = 1)
public abstract class BenchState extends JmhPlan {
  @Param({"4096x32000", "1024x128256", "16384x4096", "8x32000"})
  public String shape;

  /** CPU kernel variant: auto, avx2, avx512 or scalar (as REWEIGH_CPU_ISA). */
  @Param({"auto"})
  public String isa;

  /** Kernel threads; 0 keeps the library's default (one per core, or REWEIGH_NUM_THREADS). */
  @Param({"0"})
  public int threads;

  private int threadsBefore;
  private String isaBefore;

  @Setup(Level.Trial)
  public final void setUpTrial() {
    threadsBefore = Capabilities.threads();
    isaBefore = Capabilities.cpuIsa();
    if (!isa.equals("auto")) { // auto keeps the library's choice, REWEIGH_CPU_ISA included
      Capabilities.setCpuIsa(isa);
    }
    if (threads > 0) {
      Capabilities.setThreads(threads);
    }
    prepare();
  }

  @TearDown(Level.Trial)
  public final void tearDownTrial() {
    try {
      verify();
    } finally {
      release();
      Capabilities.setThreads(threadsBefore);
      Capabilities.setCpuIsa(isaBefore);
    }
  }

  /** Allocates the trial's data and computes the reference its outputs are checked against. */
  protected abstract void prepare();

  /** Checks the last measured call's outputs against the reference from {@link #prepare()}. */
  protected abstract void verify();

  /** Frees the trial's native memory. */
  protected abstract void release();
}
