package dev.reweigh.demo.stats;

/** A point estimate with its 95% interval. */
public record Estimate(double value, double lo, double hi) {
  /** Whether the whole interval lies above zero. */
  public boolean aboveZero() {
    return lo > 0;
  }

  /** Whether the whole interval lies below zero. */
  public boolean belowZero() {
    return hi < 0;
  }
}
