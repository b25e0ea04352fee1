package dev.reweigh;

/**
 * Per-sample statistics of a fused linear + cross-entropy pass (docs/design.md §6), reduced in
 * float64 from the chunks' per-row values: {@code loss(s)} (MEAN or SUM of the row losses),
 * {@code logProbSum(s)}, {@code tokenCount(s)}, {@code meanEntropy(s)}; 0 for a sample with no
 * counted row. {@link AdapterLinearForward} extends it with the per-row state of a forward
 * phase.
 */
public class LinearStats {
  private final double[] loss;
  private final double[] logProbSum;
  private final long[] tokenCount;
  private final double[] meanEntropy;

  LinearStats(double[] loss, double[] logProbSum, long[] tokenCount, double[] meanEntropy) {
    this.loss = loss;
    this.logProbSum = logProbSum;
    this.tokenCount = tokenCount;
    this.meanEntropy = meanEntropy;
  }

  /**
   * A view of the same values (the arrays are shared, never written after construction).
   *
   * @param stats the statistics to view
   */
  protected LinearStats(LinearStats stats) {
    this(stats.loss, stats.logProbSum, stats.tokenCount, stats.meanEntropy);
  }

  public int samples() {
    return loss.length;
  }

  public double loss(int s) {
    return loss[s];
  }

  public double logProbSum(int s) {
    return logProbSum[s];
  }

  public long tokenCount(int s) {
    return tokenCount[s];
  }

  public double meanEntropy(int s) {
    return meanEntropy[s];
  }

  public double[] losses() {
    return loss.clone();
  }

  public double[] logProbSums() {
    return logProbSum.clone();
  }

  public double[] meanEntropies() {
    return meanEntropy.clone();
  }
}
