package dev.reweigh.bench;

import dev.reweigh.FusedLoss;
import dev.reweigh.LossResult;
import dev.reweigh.SampleStats;
import org.openjdk.jmh.annotations.Benchmark;

/**
 * {@code FusedLoss.forwardBackward} on a native batch, the gradient written to a separate buffer
 * so every call sees the same logits (JMHSample_38: an in-place call would read its own gradient
 * next time, and restoring 0.5 GB per invocation is a second copy inside the trial). The in-place
 * call touches exactly the same bytes (one read of z, one write of g per logit), so the byte model
 * is the same: 2 * rows * vocab * elementSize.
 */
public class ForwardBackwardBench extends BatchBench {
  private LossResult last;

  @Override
  protected boolean withGradient() {
    return true;
  }

  @Override
  protected SampleStats callOnce() {
    return FusedLoss.forwardBackward(data.batch, data.coefficients, data.spec, data.gradOut).stats();
  }

  @Benchmark
  public LossResult forwardBackward() {
    last = FusedLoss.forwardBackward(data.batch, data.coefficients, data.spec, data.gradOut);
    return last;
  }

  @Override
  protected void verify() {
    Guard.check(data, reference, last == null ? null : last.stats());
  }
}
