package dev.reweigh;

import java.util.Arrays;

/**
 * Per-sample statistics of one forward call, plus the per-row values the backward needs.
 *
 * <p>For sample s: {@link #tokenCount(int)} counted rows, {@link #logProbSum(int)} = sum of
 * target log-probs (log pi(y|x) over the scored tokens), {@link #loss(int)} (MEAN or SUM of the
 * row losses), {@link #meanEntropy(int)}. A sample with no counted row has all four equal to 0.
 * Values are accumulated in float64 per sample and stored as float32.
 */
public final class SampleStats {
  private final float[] loss;
  private final float[] logProbSum;
  private final long[] tokenCount;
  private final float[] meanEntropy;
  private final float[] rowLse;
  private final float[] rowLogp;
  private final float[] rowEntropy;

  SampleStats(float[] loss, float[] logProbSum, long[] tokenCount, float[] meanEntropy,
      float[] rowLse, float[] rowLogp, float[] rowEntropy) {
    this.loss = loss;
    this.logProbSum = logProbSum;
    this.tokenCount = tokenCount;
    this.meanEntropy = meanEntropy;
    this.rowLse = rowLse;
    this.rowLogp = rowLogp;
    this.rowEntropy = rowEntropy;
  }

  static SampleStats allocate(int samples, int rows) {
    return new SampleStats(new float[samples], new float[samples], new long[samples],
        new float[samples], new float[rows], new float[rows], new float[rows]);
  }

  public int samples() {
    return loss.length;
  }

  public int rows() {
    return rowLse.length;
  }

  public double loss(int s) {
    return loss[s];
  }

  public double logProbSum(int s) {
    return logProbSum[s];
  }

  public int tokenCount(int s) {
    return (int) tokenCount[s];
  }

  public double meanEntropy(int s) {
    return meanEntropy[s];
  }

  /** Per-sample losses as doubles (a copy), ready for the weighting methods. */
  public double[] losses() {
    return toDoubles(loss);
  }

  /** Per-sample log-prob sums as doubles (a copy). */
  public double[] logProbSums() {
    return toDoubles(logProbSum);
  }

  /** Per-sample mean entropies as doubles (a copy). */
  public double[] meanEntropies() {
    return toDoubles(meanEntropy);
  }

  /** Per-sample counted rows (a copy). */
  public int[] tokenCounts() {
    int[] out = new int[tokenCount.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (int) tokenCount[i];
    }
    return out;
  }

  /** log-sum-exp of each row (0 on ignored rows); the input of {@link FusedLoss#backward}. */
  public float[] rowLse() {
    return rowLse.clone();
  }

  /** Target log-prob of each row (0 on ignored rows). */
  public float[] rowLogp() {
    return rowLogp.clone();
  }

  /** Entropy of each row's distribution (0 on ignored rows). */
  public float[] rowEntropy() {
    return rowEntropy.clone();
  }

  float[] rowLseArray() {
    return rowLse;
  }

  float[] lossArray() {
    return loss;
  }

  float[] logProbSumArray() {
    return logProbSum;
  }

  long[] tokenCountArray() {
    return tokenCount;
  }

  float[] meanEntropyArray() {
    return meanEntropy;
  }

  float[] rowLogpArray() {
    return rowLogp;
  }

  float[] rowEntropyArray() {
    return rowEntropy;
  }

  private static double[] toDoubles(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  @Override
  public String toString() {
    return "SampleStats{loss=" + Arrays.toString(loss) + ", logProbSum="
        + Arrays.toString(logProbSum) + ", tokenCount=" + Arrays.toString(tokenCount)
        + ", meanEntropy=" + Arrays.toString(meanEntropy) + "}";
  }
}
