package dev.reweigh.demo.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Everything measured for one method across seeds and rounds. Round 0 is the base model (every
 * method starts there); rounds 1..R are self-improvement rounds. {@link #outcomes} keeps the
 * per-question test outcomes of the last round, for the paired statistics.
 */
public final class MethodResult {
  public final String name;
  /** [seed][round 0..R] greedy test accuracy. */
  public final double[][] accuracy;
  /** [seed][question] greedy test outcome after the last round. */
  public final boolean[][] outcomes;
  /** [seed][round 1..R] (index r-1): fraction of sampled responses kept. */
  public final double[][] kept;
  /** [seed][r-1]: fraction of kept samples (DPO: chosen responses) with the right answer. */
  public final double[][] precision;
  /** [seed][r-1]: fraction of kept samples (DPO: chosen responses) with every step right. */
  public final double[][] chainPrecision;
  /** [seed][r-1]: mean weight of kept samples with a correct / incorrect answer. */
  public final double[][] weightCorrect;
  public final double[][] weightIncorrect;
  /** [seed][r-1]: fine-tuning steps and the objective over the first and last tenth of them. */
  public final double[][] steps;
  public final double[][] lossStart;
  public final double[][] lossEnd;
  /** Weights of kept samples of seed 0, round 1, split by correctness (for the histogram). */
  public final List<Double> histCorrect = new ArrayList<>();
  public final List<Double> histIncorrect = new ArrayList<>();

  public MethodResult(String name, int seeds, int rounds) {
    this.name = name;
    accuracy = nan(seeds, rounds + 1);
    outcomes = new boolean[seeds][];
    kept = nan(seeds, rounds);
    precision = nan(seeds, rounds);
    chainPrecision = nan(seeds, rounds);
    weightCorrect = nan(seeds, rounds);
    weightIncorrect = nan(seeds, rounds);
    steps = nan(seeds, rounds);
    lossStart = nan(seeds, rounds);
    lossEnd = nan(seeds, rounds);
  }

  private static double[][] nan(int a, int b) {
    double[][] x = new double[a][b];
    for (double[] row : x) {
      Arrays.fill(row, Double.NaN);
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
}
