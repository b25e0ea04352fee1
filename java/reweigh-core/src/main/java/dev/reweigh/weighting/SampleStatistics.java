package dev.reweigh.weighting;

/**
 * Per-sample statistics from the fused forward (docs/design.md §3): {@code loss_s} (mean token
 * NLL by default), {@code logProbSum_s} and {@code tokenCount_s}. The input of a {@link
 * WeightingStrategy}. Arrays are used as given (not copied): do not modify them while a strategy
 * runs.
 *
 * @param loss loss_s
 * @param logProbSum logProbSum_s, or {@code null} when the strategy does not need it
 * @param tokenCount tokenCount_s, or {@code null} when the strategy does not need it
 */
public record SampleStatistics(double[] loss, double[] logProbSum, int[] tokenCount) {

  public SampleStatistics {
    if (loss == null) {
      throw new IllegalArgumentException("loss is null");
    }
    if (logProbSum != null) {
      Checks.sameLength(logProbSum.length, loss.length, "logProbSum", "loss");
    }
    if (tokenCount != null) {
      Checks.sameLength(tokenCount.length, loss.length, "tokenCount", "loss");
    }
  }

  /** Statistics with losses only. */
  public static SampleStatistics ofLosses(double[] loss) {
    return new SampleStatistics(loss, null, null);
  }

  /** Number of samples. */
  public int samples() {
    return loss.length;
  }
}
