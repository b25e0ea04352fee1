package dev.reweigh.demo.report;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything measured for one method across seeds and rounds. Round 0 is the base model (every
 * method starts there); rounds 1..R are self-improvement rounds.
 */
public final class MethodResult {
  public final String name;
  /** [seed][round 0..R] test accuracy (greedy). */
  public final double[][] accuracy;
  /** [seed][round 1..R] (index r-1) fraction of sampled responses kept. */
  public final double[][] kept;
  /** [seed][round 1..R] fraction of kept samples whose answer is correct. */
  public final double[][] precision;
  /** [seed][round 1..R] mean weight of correct / incorrect kept samples (NaN when none). */
  public final double[][] weightCorrect;
  public final double[][] weightIncorrect;
  /** [seed][round 1..R] fine-tuning objective, mean of the first and last steps. */
  public final double[][] lossStart;
  public final double[][] lossEnd;
  /** Weights of kept samples of seed 0, round 1, split by correctness (for the histogram). */
  public final List<Double> histCorrect = new ArrayList<>();
  public final List<Double> histIncorrect = new ArrayList<>();

  public MethodResult(String name, int seeds, int rounds) {
    this.name = name;
    accuracy = new double[seeds][rounds + 1];
    kept = nan(seeds, rounds);
    precision = nan(seeds, rounds);
    weightCorrect = nan(seeds, rounds);
    weightIncorrect = nan(seeds, rounds);
    lossStart = nan(seeds, rounds);
    lossEnd = nan(seeds, rounds);
  }

  private static double[][] nan(int a, int b) {
    double[][] x = new double[a][b];
    for (double[] row : x) {
      java.util.Arrays.fill(row, Double.NaN);
    }
    return x;
  }

  /** Mean over seeds of {@code v[seed][col]}, ignoring NaN. */
  public static double mean(double[][] v, int col) {
    double s = 0;
    int n = 0;
    for (double[] row : v) {
      if (!Double.isNaN(row[col])) {
        s += row[col];
        n++;
      }
    }
    return n == 0 ? Double.NaN : s / n;
  }

  /** Sample standard deviation over seeds (0 for a single seed), ignoring NaN. */
  public static double std(double[][] v, int col) {
    double m = mean(v, col);
    double s = 0;
    int n = 0;
    for (double[] row : v) {
      if (!Double.isNaN(row[col])) {
        s += (row[col] - m) * (row[col] - m);
        n++;
      }
    }
    return n < 2 ? 0.0 : Math.sqrt(s / (n - 1));
  }
}
