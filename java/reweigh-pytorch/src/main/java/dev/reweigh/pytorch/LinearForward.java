package dev.reweigh.pytorch;

import dev.reweigh.LinearStats;
import dev.reweigh.LossSpec;
import org.bytedeco.pytorch.Tensor;

/**
 * The first phase of a two-phase fused linear + cross-entropy ({@link
 * FusedLinearLoss#forward}): per-sample statistics on the host and per-row lse {@code [rows]}
 * (float32, on the head's device), the only O(rows) state the backward needs to recompute each
 * chunk's gradient. Per sample s: {@code loss(s)} (MEAN or SUM of the row losses), {@code
 * logProbSum(s)}, {@code tokenCount(s)}, {@code meanEntropy(s)}; 0 for a sample with no counted
 * row. Sums run in float64.
 */
public final class LinearForward {
  final LinearHead head;
  final LossSpec spec;
  final Tensor rowLse;
  final LinearStats stats;

  LinearForward(LinearHead head, LossSpec spec, Tensor rowLse, LinearStats stats) {
    this.head = head;
    this.spec = spec;
    this.rowLse = rowLse;
    this.stats = stats;
  }

  public int samples() {
    return stats.samples();
  }

  public double loss(int s) {
    return stats.loss(s);
  }

  public double logProbSum(int s) {
    return stats.logProbSum(s);
  }

  public long tokenCount(int s) {
    return stats.tokenCount(s);
  }

  public double meanEntropy(int s) {
    return stats.meanEntropy(s);
  }

  public double[] losses() {
    return stats.losses();
  }

  public double[] logProbSums() {
    return stats.logProbSums();
  }

  public double[] meanEntropies() {
    return stats.meanEntropies();
  }

  /** The statistics as the core's {@link LinearStats}, shared with the ND4J adapter. */
  public LinearStats stats() {
    return stats;
  }

  /** Per-row lse, float32 {@code [rows]} (0 on ignored rows). */
  public Tensor rowLse() {
    return rowLse;
  }
}
