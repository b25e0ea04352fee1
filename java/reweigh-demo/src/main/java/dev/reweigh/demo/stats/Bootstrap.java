package dev.reweigh.demo.stats;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Percentile bootstrap over per-question rows, stratified by seed: each replicate redraws, within
 * every seed, as many questions as it has (with replacement), sums each column over all drawn
 * rows, and evaluates the statistic on those column sums. Every statistic here is a function of
 * column sums (a mean is sum / count with a column of ones; a paired difference of accuracies is
 * (sum A - sum B) / count on the same rows), so pairing is kept by resampling whole rows.
 */
public final class Bootstrap {
  private final List<double[][]> strata;
  private final int columns;

  /** @param strata per seed, rows [question][column] */
  public Bootstrap(List<double[][]> strata) {
    this.strata = strata;
    int c = -1;
    for (double[][] s : strata) {
      for (double[] row : s) {
        if (c >= 0 && row.length != c) {
          throw new IllegalArgumentException("strata: rows of different widths " + c + " and " + row.length);
        }
        c = row.length;
      }
    }
    this.columns = Math.max(c, 0);
  }

  /** The statistic on all rows. */
  public double point(ToDoubleFunction<double[]> statOfSums) {
    double[] sums = new double[columns];
    for (double[][] s : strata) {
      for (double[] row : s) {
        for (int c = 0; c < columns; c++) {
          sums[c] += row[c];
        }
      }
    }
    return statOfSums.applyAsDouble(sums);
  }

  /** The 2.5% and 97.5% percentiles of the statistic over {@code reps} replicates. */
  public double[] interval(ToDoubleFunction<double[]> statOfSums, int reps, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    double[] stat = new double[reps];
    int k = 0;
    for (int r = 0; r < reps; r++) {
      double[] sums = new double[columns];
      for (double[][] s : strata) {
        for (int i = 0; i < s.length; i++) {
          double[] row = s[rnd.nextInt(s.length)];
          for (int c = 0; c < columns; c++) {
            sums[c] += row[c];
          }
        }
      }
      double v = statOfSums.applyAsDouble(sums);
      if (Double.isFinite(v)) {
        stat[k++] = v;
      }
    }
    if (k == 0) {
      return new double[] {Double.NaN, Double.NaN};
    }
    double[] sorted = Arrays.copyOf(stat, k);
    Arrays.sort(sorted);
    return new double[] {percentile(sorted, 0.025), percentile(sorted, 0.975)};
  }

  /** Linear interpolation between order statistics. */
  static double percentile(double[] sorted, double p) {
    double x = p * (sorted.length - 1);
    int lo = (int) Math.floor(x);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (x - lo) * (sorted[hi] - sorted[lo]);
  }
}
