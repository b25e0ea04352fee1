package dev.reweigh.cli.unit;

import java.io.Serializable;

/**
 * The whole-input softmax normaliser of kl-dro and loss-reweighting with batch size 0, in the CLI
 * (one observation pass) and in reweigh-spark (one pass per partition, merged): after adding
 * x_1..x_n (in any order, in any number of partial sums), {@code z = sum_j exp((x_j - m) / r)}
 * with m the maximum, so every exponent is {@code <= 0} (the stable softmax of docs/methods.md
 * §5-6 and of core's StableSoftmax). Values are added online (running maximum, rescaled sum:
 * Milakov and Gimelshein 2018, arXiv:1805.02867, Algorithm 3); partial results merge by rescaling
 * both sums to the larger maximum. The result equals one sequential pass up to the rounding of the
 * sum's order.
 */
public final class LogSumExp implements Serializable {
  private static final long serialVersionUID = 1L;

  private final double r;
  private double m = Double.NEGATIVE_INFINITY;
  private double z;
  private long count;

  /** @param temperature r, finite and {@code > 0} */
  public LogSumExp(double temperature) {
    this.r = temperature;
  }

  /** @param x the next value */
  public void add(double x) {
    if (x > m) {
      z = z * Math.exp((m - x) / r) + 1.0;
      m = x;
    } else {
      z += Math.exp((x - m) / r);
    }
    count++;
  }

  /**
   * Adds {@code other}'s values to this one.
   *
   * @param other a partial normaliser with the same temperature
   * @return this
   */
  public LogSumExp merge(LogSumExp other) {
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

  /**
   * @param x a value that was added
   * @return its softmax weight {@code exp((x - m) / r) / z}
   */
  public double weight(double x) {
    return Math.exp((x - m) / r) / z;
  }

  /** @return the maximum m */
  public double max() {
    return m;
  }

  /** @return the shifted sum z */
  public double sum() {
    return z;
  }

  /** @return the number of values added */
  public long count() {
    return count;
  }
}
