package dev.reweigh.pytorch;

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
  private final double[] loss;
  private final double[] logProbSum;
  private final long[] tokenCount;
  private final double[] meanEntropy;

  LinearForward(LinearHead head, LossSpec spec, Tensor rowLse, double[] loss, double[] logProbSum,
      long[] tokenCount, double[] meanEntropy) {
    this.head = head;
    this.spec = spec;
    this.rowLse = rowLse;
    this.loss = loss;
    this.logProbSum = logProbSum;
    this.tokenCount = tokenCount;
    this.meanEntropy = meanEntropy;
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

  /** Per-row lse, float32 {@code [rows]} (0 on ignored rows). */
  public Tensor rowLse() {
    return rowLse;
  }
}
