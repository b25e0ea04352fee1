package dev.reweigh.spark;

import dev.reweigh.cli.unit.LogSumExp;
import java.io.Serializable;

/**
 * EAST's global statistic, merged across partitions: the mean of h^a over every trained question
 * (arXiv:2503.23913; docs/methods.md §3), in log space with the max shift as core's {@code
 * East.weights}: {@code ln mean_j h_j^a = m + ln(sum_j exp(a ln h_j - m) / n)}. Questions with
 * h = 0 add exp(-infinity) = 0 to the sum; they count in n when a > 0 (weight 0) and are dropped
 * when a < 0 (0^a is undefined), unless every h is 0 (then all weights are 1, as in core).
 */
final class EastNormaliser implements Serializable {
  private static final long serialVersionUID = 1L;

  private final double a;
  private long questions;
  private long trained;
  private long zero;
  private final LogSumExp logPowers = new LogSumExp(1.0);

  EastNormaliser(double a) {
    this.a = a;
  }

  /** One question: its entropy, or null when it has nothing to train on. */
  void add(Double h) {
    questions++;
    if (h == null) {
      return;
    }
    trained++;
    if (h == 0) {
      zero++;
    } else {
      logPowers.add(a * Math.log(h));
    }
  }

  EastNormaliser merge(EastNormaliser o) {
    questions += o.questions;
    trained += o.trained;
    zero += o.zero;
    logPowers.merge(o.logPowers);
    return this;
  }

  /** Whether every trained question has h = 0 (vacuously true with none). */
  boolean allZero() {
    return zero == trained;
  }

  /** Uniform weights: a = 0, or every h is 0. */
  boolean uniform() {
    return a == 0 || allZero();
  }

  /**
   * f(h) = exp(a ln h - ln mean h^a), or NaN for a question dropped because h = 0 with a < 0.
   */
  double weight(double h) {
    if (uniform()) {
      return 1.0;
    }
    if (h == 0 && a < 0) {
      return Double.NaN;
    }
    long n = a > 0 ? trained : trained - zero;
    double logMean = logPowers.max() + Math.log(logPowers.sum() / n);
    return Math.exp(a * Math.log(h) - logMean);
  }

  long questions() {
    return questions;
  }

  long trained() {
    return trained;
  }

  /** Questions with h = 0 dropped (a < 0) or given weight 0 (a > 0). */
  long zero() {
    return uniform() ? 0 : zero;
  }
}
