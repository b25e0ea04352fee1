package dev.reweigh.bench;

import dev.reweigh.FusedLoss;
import dev.reweigh.SampleStats;
import org.openjdk.jmh.annotations.Benchmark;

/**
 * {@code FusedLoss.forward} on a native batch: per-sample loss, log-prob sum and entropy in one
 * read of the logits. Byte model: rows * vocab * elementSize read (the read roofline's unit).
 */
public class ForwardBench extends BatchBench {
  private SampleStats last;

  @Override
  protected boolean withGradient() {
    return false;
  }

  @Override
  protected SampleStats callOnce() {
    return FusedLoss.forward(data.batch, data.spec);
  }

  @Benchmark
  public SampleStats forward() {
    last = FusedLoss.forward(data.batch, data.spec);
    return last;
  }

  @Override
  protected void verify() {
    Guard.check(data, reference, last);
  }
}
