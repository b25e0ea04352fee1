package dev.reweigh.bench;

import dev.reweigh.SampleStats;
import org.openjdk.jmh.annotations.Param;

/**
 * A {@link BenchState} over one {@link BenchData} batch in the logits' dtype, with the {@link
 * Guard} reference of that batch: what the fused-loss benchmarks share.
 */
public abstract class BatchBench extends BenchState {
  @Param({"f32", "bf16"})
  public String dtype;

  protected BenchData data;
  protected Guard.Reference reference;

  /** Whether the batch carries a separate gradient buffer. */
  protected abstract boolean withGradient();

  /**
   * Runs the benchmark's operation once and returns its per-sample statistics (null when the
   * operation returns none); the guard's reference calls it on one thread.
   */
  protected abstract SampleStats callOnce();

  @Override
  protected final void prepare() {
    data = BenchData.create(shape, dtype, withGradient());
    prepareCalls();
    reference = Guard.reference(data, this::callOnce);
  }

  /** Anything the measured calls need beyond the batch (for example a forward's statistics). */
  protected void prepareCalls() {}

  @Override
  protected void release() {
    data.close();
  }
}
