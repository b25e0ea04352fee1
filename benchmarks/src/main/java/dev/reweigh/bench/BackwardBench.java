package dev.reweigh.bench;

import dev.reweigh.FusedLoss;
import dev.reweigh.SampleStats;
import org.openjdk.jmh.annotations.Benchmark;

/**
 * {@code FusedLoss.backward} (the two-phase path: coefficients computed from a previous forward),
 * gradient into a separate buffer so the input never changes. Byte model: one read and one write
 * per logit, 2 * rows * vocab * elementSize.
 */
public class BackwardBench extends BatchBench {
  private SampleStats stats;

  @Override
  protected boolean withGradient() {
    return true;
  }

  @Override
  protected void prepareCalls() {
    stats = FusedLoss.forward(data.batch, data.spec);
  }

  @Override
  protected SampleStats callOnce() {
    FusedLoss.backward(data.batch, stats, data.coefficients, data.spec, data.gradOut);
    return null;
  }

  @Benchmark
  public SampleStats backward() {
    FusedLoss.backward(data.batch, stats, data.coefficients, data.spec, data.gradOut);
    return stats;
  }

  @Override
  protected void verify() {
    Guard.check(data, reference, null);
  }
}
