package dev.reweigh.weighting;

/**
 * KL-regularised distributionally robust weights (instance-reweighted training).
 *
 * <p>The inner maximisation {@code max_w sum_i w_i l_i - r * KL(w || uniform)} over the simplex has
 * the closed form {@code w_i = softmax_i(l_i / r)} (docs/methods.md §6). Derivation: with a
 * multiplier for {@code sum_i w_i = 1}, stationarity of {@code w_i l_i - r w_i ln(n w_i)} gives
 * {@code ln w_i = l_i / r + const} (the Gibbs variational principle). Hard samples are up-weighted
 * smoothly; {@code r -> infinity} is uniform, {@code r -> 0} puts all weight on the largest losses.
 *
 * <p>Symbols: {@code l_i} = {@code losses[i]}, {@code r} = {@code temperature}.
 */
public final class KlDro {

  private KlDro() {}

  /**
   * The KL-DRO weights of docs/methods.md §6, {@code w_i = softmax_i(l_i / r)}; sums to 1, stable
   * for tiny r and huge losses (see [Note: stable softmax] in {@link StableSoftmax}).
   *
   * @param losses l_i, finite and {@code >= 0}
   * @param temperature r, finite and {@code > 0}
   * @return the weights, summing to 1, non-decreasing in the loss
   */
  public static double[] weights(double[] losses, double temperature) {
    Checks.losses(losses, "losses");
    Checks.positive(temperature, "temperature");
    return StableSoftmax.softmax(losses, temperature);
  }

  /**
   * The value of the inner maximisation, {@code F(l) = max_w sum_i w_i l_i - r * KL(w ||
   * uniform) = r * ln(mean_i exp(l_i / r))} (docs/methods.md §6), computed max-shifted. By
   * Danskin's theorem {@code dF/dl_i = w_i} ({@link #weights}), so the weights are exactly the
   * per-sample coefficients of the robust loss for the fused backward (docs/methods.md §7).
   *
   * @param losses l_i, finite and {@code >= 0}
   * @param temperature r, finite and {@code > 0}
   * @return F, between mean(l) and max(l)
   */
  public static double robustLoss(double[] losses, double temperature) {
    Checks.losses(losses, "losses");
    Checks.positive(temperature, "temperature");
    double m = Double.NEGATIVE_INFINITY;
    for (double l : losses) {
      m = Math.max(m, l);
    }
    double sum = 0;
    for (double l : losses) {
      sum += Math.exp((l - m) / temperature);
    }
    return m + temperature * Math.log(sum / losses.length);
  }
}
