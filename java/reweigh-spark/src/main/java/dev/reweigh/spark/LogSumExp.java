package dev.reweigh.spark;

import java.io.Serializable;

/**
 * A softmax normaliser with the max shift that merges across partitions: after adding x_1..x_n
 * (in any order, in any number of partial sums), {@code z = sum_j exp((x_j - m) / r)} with m the
 * maximum, so every exponent is {@code <= 0} (the stable softmax of docs/methods.md §5-6 and of
 * core's StableSoftmax). Each partition adds its values online (running maximum, rescaled sum:
 * Milakov and Gimelshein 2018, arXiv:1805.02867, Algorithm 3, as the streaming CLI's
 * OnlineSoftmax); partial results merge by rescaling both sums to the larger maximum. The result
 * equals one sequential pass up to the rounding of the sum's order.
 */
final class LogSumExp implements Serializable {
  private static final long serialVersionUID = 1L;

  private final double r;
  private double m = Double.NEGATIVE_INFINITY;
  private double z;
  private long count;

  /** @param temperature r, finite and {@code > 0} */
  LogSumExp(double temperature) {
    this.r = temperature;
  }

  void add(double x) {
    if (x > m) {
      z = z * Math.exp((m - x) / r) + 1.0;
      m = x;
    } else {
      z += Math.exp((x - m) / r);
    }
    count++;
  }

  /** Adds {@code other}'s values to this one. */
  LogSumExp merge(LogSumExp other) {
    if (other.count == 0) {
      return this;
    }
    if (count == 0) {
      m = other.m;
      z = other.z;
    } else {
      double mm = Math.max(m, other.m);
      z = z * Math.exp((m - mm) / r) + other.z * Math.exp((other.m - mm) / r);
      m = mm;
    }
    count += other.count;
    return this;
  }

  /** The softmax weight of x: {@code exp((x - m) / r) / z}. */
  double weight(double x) {
    return Math.exp((x - m) / r) / z;
  }

  /** The maximum m. */
  double max() {
    return m;
  }

  /** The shifted sum z. */
  double sum() {
    return z;
  }

  /** Number of values added. */
  long count() {
    return count;
  }
}
