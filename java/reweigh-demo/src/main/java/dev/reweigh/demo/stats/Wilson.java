package dev.reweigh.demo.stats;

/** Wilson score interval (95%) for a binomial proportion. */
public final class Wilson {
  private Wilson() {}

  public static Estimate of(double successes, double n) {
    if (n <= 0) {
      return new Estimate(Double.NaN, Double.NaN, Double.NaN);
    }
    double z = 1.959964;
    double p = successes / n;
    double den = 1 + z * z / n;
    double centre = (p + z * z / (2 * n)) / den;
    double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den;
    return new Estimate(p, centre - half, centre + half);
  }
}
