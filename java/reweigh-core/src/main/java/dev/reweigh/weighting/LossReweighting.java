package dev.reweigh.weighting;

import java.util.Arrays;

/**
 * Dynamic loss-based sample reweighting, online over the global minibatch.
 *
 * <p>Implements Sow et al. (ICLR 2025), "Dynamic Loss-Based Sample Reweighting for Improved Large
 * Language Model Pretraining", arXiv:2502.06733: the normalised loss, the three strategy functions
 * and the softmax weights (docs/methods.md §5):
 *
 * <pre>
 *   g   = max(lmax - lmin, 1e-6)
 *   h_i = (2*delta*l_i - delta*(lmax + lmin)) / g          in [-delta, delta], delta = 1
 *   LIN_UPPER  f = min(h + delta, delta)
 *   QUADRATIC  f = 1 - h^2 / delta^2
 *   EXTREMES   f = |h|
 *   w_i = softmax_i(f_i / r)                                sums to 1 over the global batch
 * </pre>
 *
 * The step loss is {@code sum_i w_i l_i} ({@link #weightedLoss}).
 *
 * <p>Symbols: {@code l_i} = {@code losses[i]}, {@code r} = {@code temperature}, {@code delta} =
 * {@link #DELTA}.
 *
 * @see <a href="https://arxiv.org/abs/2502.06733">arXiv:2502.06733</a>
 */
public final class LossReweighting {

  /** delta of the paper: h lies in [-delta, delta]. */
  public static final double DELTA = 1.0;

  /** Floor of the loss range g, so equal losses give h = 0 (uniform weights). */
  public static final double MIN_RANGE = 1e-6;

  private LossReweighting() {}

  /** The strategy function f(h), with the official default temperature. */
  public enum Strategy {
    /** {@code f = min(h + delta, delta)}: down-weights low-loss (redundant) samples. */
    LIN_UPPER(0.4),
    /** {@code f = 1 - h^2 / delta^2}: down-weights both extremes. */
    QUADRATIC(1.0),
    /** {@code f = |h|}: up-weights both extremes. */
    EXTREMES(0.4);

    private final double defaultTemperature;

    Strategy(double defaultTemperature) {
      this.defaultTemperature = defaultTemperature;
    }

    /** The official default temperature r for this strategy. */
    public double defaultTemperature() {
      return defaultTemperature;
    }

    /** f(h) for h in [-delta, delta]. */
    public double f(double h) {
      switch (this) {
        case LIN_UPPER:
          return Math.min(h + DELTA, DELTA);
        case QUADRATIC:
          return 1.0 - h * h / (DELTA * DELTA);
        case EXTREMES:
          return Math.abs(h);
        default:
          throw new AssertionError(this);
      }
    }
  }

  /**
   * The normalised losses of Sow et al. (ICLR 2025), arXiv:2502.06733: {@code h_i = (2*delta*l_i -
   * delta*(lmax + lmin)) / g}.
   *
   * @param losses l_i over the global batch, finite and {@code >= 0}
   * @return h_i in [-delta, delta]
   */
  public static double[] normalizedLosses(double[] losses) {
    Checks.losses(losses, "losses");
    double lmin = Double.POSITIVE_INFINITY;
    double lmax = Double.NEGATIVE_INFINITY;
    for (double l : losses) {
      lmin = Math.min(lmin, l);
      lmax = Math.max(lmax, l);
    }
    double[] h = new double[losses.length];
    for (int i = 0; i < h.length; i++) {
      h[i] = normalizedLoss(losses[i], lmin, lmax);
    }
    return h;
  }

  /**
   * One normalised loss of Sow et al. (ICLR 2025), arXiv:2502.06733: {@code h = (2*delta*l -
   * delta*(lmax + lmin)) / g}, {@code g = max(lmax - lmin, 1e-6)}, for callers that stream the
   * batch and know its range (the CLI's whole-file mode).
   *
   * @param l the sample's loss, in [lmin, lmax]
   * @param lmin smallest loss of the batch
   * @param lmax largest loss of the batch
   * @return h in [-delta, delta]
   */
  public static double normalizedLoss(double l, double lmin, double lmax) {
    double g = Math.max(lmax - lmin, MIN_RANGE);
    // Written as delta*((l-lmax)+(l-lmin))/g so that lmax + lmin cannot overflow for huge losses.
    return DELTA * ((l - lmax) + (l - lmin)) / g;
  }

  /**
   * The sample weights of Sow et al. (ICLR 2025), arXiv:2502.06733: {@code w_i = softmax_i(f(h_i) /
   * r)} over the global batch.
   *
   * @param losses l_i of every sample of the global batch, finite and {@code >= 0}
   * @param s the strategy f
   * @param temperature r, finite and {@code > 0} ({@link Strategy#defaultTemperature()})
   * @return weights summing to 1; uniform when all losses are equal
   */
  public static double[] weights(double[] losses, Strategy s, double temperature) {
    if (s == null) {
      throw new IllegalArgumentException("s (strategy) is null");
    }
    Checks.positive(temperature, "temperature");
    double[] h = normalizedLosses(losses);
    double[] f = new double[h.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = s.f(h[i]);
    }
    return StableSoftmax.softmax(f, temperature);
  }

  /**
   * Warm-up schedule of Sow et al. (ICLR 2025), arXiv:2502.06733: uniform weights {@code 1/n} (no
   * reweighting) while {@code step < warmupSteps}, then {@link #weights(double[], Strategy,
   * double)}.
   *
   * @param losses l_i of the global batch
   * @param s the strategy
   * @param temperature r
   * @param step the 0-based training step, {@code >= 0}
   * @param warmupSteps number of initial steps without reweighting, {@code >= 0}
   * @return weights summing to 1
   */
  public static double[] weights(
      double[] losses, Strategy s, double temperature, long step, long warmupSteps) {
    if (step < 0) {
      throw new IllegalArgumentException("step = " + step + " is negative");
    }
    if (warmupSteps < 0) {
      throw new IllegalArgumentException("warmupSteps = " + warmupSteps + " is negative");
    }
    if (step < warmupSteps) {
      Checks.losses(losses, "losses");
      if (s == null) {
        throw new IllegalArgumentException("s (strategy) is null");
      }
      Checks.positive(temperature, "temperature");
      double[] w = new double[losses.length];
      Arrays.fill(w, 1.0 / losses.length);
      return w;
    }
    return weights(losses, s, temperature);
  }

  /**
   * Data-parallel form of Sow et al. (ICLR 2025), arXiv:2502.06733 (weights over the global
   * minibatch): each rank all-gathers the per-sample losses of the global batch and takes the
   * weights of its own slice {@code [offset, offset + length)}. The weights sum to 1 over the
   * global batch, not over the slice, so the ranks' weighted losses add up to the step loss.
   *
   * @param globalLosses l_i of every rank's samples, in rank order
   * @param offset index of this rank's first sample in {@code globalLosses}
   * @param length number of samples on this rank
   * @param s the strategy
   * @param temperature r
   * @return this rank's weights
   */
  public static double[] localWeights(
      double[] globalLosses, int offset, int length, Strategy s, double temperature) {
    double[] w = weights(globalLosses, s, temperature);
    if (offset < 0 || length < 0 || offset > w.length - length) {
      throw new IllegalArgumentException(
          "slice [offset = " + offset + ", offset + length = " + ((long) offset + length)
              + ") is outside globalLosses of length " + w.length);
    }
    return Arrays.copyOfRange(w, offset, offset + length);
  }

  /**
   * The step loss {@code sum_i w_i l_i} of Sow et al. (ICLR 2025), arXiv:2502.06733.
   *
   * @param losses l_i
   * @param weights w_i
   * @return the weighted loss
   */
  public static double weightedLoss(double[] losses, double[] weights) {
    Checks.finite(losses, "losses");
    Checks.finite(weights, "weights");
    Checks.sameLength(weights.length, losses.length, "weights", "losses");
    double sum = 0;
    for (int i = 0; i < losses.length; i++) {
      sum += weights[i] * losses[i];
    }
    return sum;
  }
}
