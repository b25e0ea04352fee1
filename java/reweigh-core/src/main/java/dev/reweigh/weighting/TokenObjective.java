package dev.reweigh.weighting;

/**
 * Value of a token-level objective F of per-row log-probabilities {@code logp_r} and its gradient
 * {@code dF/dlogp_r}, for the two-phase call of {@code dev.reweigh.TokenLoss} (docs/methods.md §8).
 *
 * <p>F is minimised (for a policy-gradient objective J that is maximised, F = -J). The kernel with
 * {@code TokenLoss.objectiveSpec()} and unit per-sample coefficients computes the gradient of
 * {@code sum_r w_r * (-logp_r)}, so the row weights to pass are {@code w_r = -dF/dlogp_r} ({@link
 * #rowWeights()}), the per-row analogue of {@link Objective#nllCoefficients()}. Rows that F does
 * not use (ignored prompt rows) have {@code dF/dlogp_r = 0}.
 *
 * @param value F
 * @param dLogp {@code dF/dlogp_r} for every row r
 */
public record TokenObjective(double value, double[] dLogp) {

  public TokenObjective {
    dLogp = dLogp.clone();
  }

  @Override
  public double[] dLogp() {
    return dLogp.clone();
  }

  /**
   * The kernel's row weights {@code w_r = -dF/dlogp_r}, as floats.
   *
   * @return w_r per row
   */
  public float[] rowWeights() {
    return Objective.negatedFloats(dLogp);
  }
}
