package dev.reweigh;

/** Result of a forward + backward call: the objective and the per-sample statistics. */
public final class LossResult {
  private final double total;
  private final SampleStats stats;

  LossResult(double total, SampleStats stats) {
    this.total = total;
    this.stats = stats;
  }

  /** {@code sum_s c_s * loss_s / D}, accumulated in float64. */
  public double total() {
    return total;
  }

  public SampleStats stats() {
    return stats;
  }

  @Override
  public String toString() {
    return "LossResult{total=" + total + ", " + stats + "}";
  }
}
