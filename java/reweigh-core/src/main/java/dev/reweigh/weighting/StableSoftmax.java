package dev.reweigh.weighting;

/**
 * Temperature softmax {@code w_i = exp(x_i / r) / sum_j exp(x_j / r)}, shared by {@link
 * LossReweighting} (docs/methods.md §5) and {@link KlDro} (section 6).
 *
 * <p>[Note: stable softmax] The maximum is subtracted <em>before</em> dividing by r: {@code w_i =
 * exp((x_i - m) / r) / sum_j exp((x_j - m) / r)}, m = max x. Every exponent is then {@code <= 0}
 * and the largest is exactly 0, so the sum is in [1, n] and nothing overflows, even for losses
 * near {@link Double#MAX_VALUE} or r near {@link Double#MIN_VALUE} (where {@code x_i / r} alone
 * would already be infinite). Differences {@code x_i - m} of non-negative finite inputs are
 * finite. Equal inputs give exactly uniform weights. Sums are accumulated in double.
 */
final class StableSoftmax {

  private StableSoftmax() {}

  /**
   * @param x finite values (checked by the caller)
   * @param r temperature, finite and {@code > 0} (checked by the caller)
   * @return the softmax weights, summing to 1
   */
  static double[] softmax(double[] x, double r) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : x) {
      m = Math.max(m, v);
    }
    double[] w = new double[x.length];
    double sum = 0;
    for (int i = 0; i < x.length; i++) {
      w[i] = Math.exp((x[i] - m) / r);
      sum += w[i];
    }
    for (int i = 0; i < x.length; i++) {
      w[i] /= sum;
    }
    return w;
  }
}
