package dev.reweigh.cli;

/**
 * The whole-file softmax of the streaming CLI methods (kl-dro, loss-reweighting with {@code
 * --batch-size 0}): one pass keeps z = sum_j exp((x_j - m) / r) for the running maximum m (the
 * online normaliser of Milakov & Gimelshein 2018, arXiv:1805.02867, Algorithm 3), the output pass
 * turns each x into exp((x - m) / r) / z. Exponents are always <= 0, as in {@code StableSoftmax}.
 */
final class OnlineSoftmax {
  private final double r;
  private double m = Double.NEGATIVE_INFINITY;
  private double z;

  OnlineSoftmax(double temperature) {
    this.r = temperature;
  }

  void add(double x) {
    if (x > m) {
      z = z * Math.exp((m - x) / r) + 1.0;
      m = x;
    } else {
      z += Math.exp((x - m) / r);
    }
  }

  double weight(double x) {
    return Math.exp((x - m) / r) / z;
  }

  /** Every weight of a batch as a kept decision. */
  static Decision[] keepAll(double[] weights) {
    Decision[] d = new Decision[weights.length];
    for (int i = 0; i < weights.length; i++) {
      d[i] = Decision.of(weights[i], true);
    }
    return d;
  }
}
