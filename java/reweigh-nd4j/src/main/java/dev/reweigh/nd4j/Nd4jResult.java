package dev.reweigh.nd4j;

/** The objective {@code sum_s c_s loss_s / D} and the statistics. */
public final class Nd4jResult {
  private final double total;
  private final Nd4jStats stats;

  Nd4jResult(double total, Nd4jStats stats) {
    this.total = total;
    this.stats = stats;
  }

  public double total() {
    return total;
  }

  public Nd4jStats stats() {
    return stats;
  }
}
