package dev.reweigh.weighting;

import java.util.Arrays;

/**
 * Value of an objective F of per-sample log-likelihoods and its gradient with respect to each
 * sample's {@code logProbSum_s} (docs/methods.md §7).
 *
 * <p>[Note: coefficient sign convention] The fused kernel, run with {@code TokenReduction.SUM} and
 * {@code Normalization.NONE} (and no label smoothing or z-loss), computes the gradient of {@code
 * L = sum_s c_s * loss_s} where {@code loss_s = -logProbSum_s} is the sample's summed NLL. Since
 * {@code dF/dtheta = sum_s (dF/dlogProbSum_s) * dlogProbSum_s/dtheta = sum_s (-dF/dlogProbSum_s)
 * * dloss_s/dtheta}, the coefficients to pass to the kernel are {@code c_s = -dF/dlogProbSum_s},
 * returned by {@link #nllCoefficients()}. {@link #dLogProbSum()} is the raw derivative {@code
 * dF/dlogProbSum_s}. Either may be negative (e.g. DPO's rejected side). F is minimised.
 *
 * @param value F
 * @param dLogProbSum {@code dF/dlogProbSum_s} for every sample s (0 for samples F does not use)
 */
public record Objective(double value, double[] dLogProbSum) {

  public Objective {
    dLogProbSum = dLogProbSum.clone();
  }

  @Override
  public double[] dLogProbSum() {
    return dLogProbSum.clone();
  }

  /**
   * The kernel coefficients {@code c_s = -dF/dlogProbSum_s} for the NLL objective {@code sum_s
   * c_s * loss_s} with {@code loss_s = -logProbSum_s} (see the note above).
   *
   * @return c_s per sample
   */
  public double[] nllCoefficients() {
    double[] c = new double[dLogProbSum.length];
    for (int s = 0; s < c.length; s++) {
      c[s] = -dLogProbSum[s];
    }
    return c;
  }

  /**
   * {@link #nllCoefficients()} as floats, the type {@code FusedLoss.forwardBackward} takes.
   *
   * @return c_s per sample, rounded to float
   */
  public float[] nllCoefficientsAsFloats() {
    return negatedFloats(dLogProbSum);
  }

  /** {@code -d[i]} rounded to float, for every i: the kernels' coefficients from a derivative. */
  static float[] negatedFloats(double[] d) {
    float[] c = new float[d.length];
    for (int i = 0; i < c.length; i++) {
      c[i] = (float) -d[i];
    }
    return c;
  }

  /**
   * The objective {@code F + G} over the same samples (e.g. Eq. 8 plus the XPO term).
   *
   * @param other G, over the same number of samples
   * @return F + G and its gradient
   */
  public Objective plus(Objective other) {
    Checks.sameLength(
        other.dLogProbSum.length, dLogProbSum.length, "other.dLogProbSum", "dLogProbSum");
    double[] g = dLogProbSum.clone();
    for (int s = 0; s < g.length; s++) {
      g[s] += other.dLogProbSum[s];
    }
    return new Objective(value + other.value, g);
  }

  /**
   * The objective {@code factor * F}, e.g. {@code 1 / pairs} for a mean over pairs.
   *
   * @param factor finite scale
   * @return the scaled objective
   */
  public Objective scaled(double factor) {
    Checks.finite(factor, "factor");
    double[] g = dLogProbSum.clone();
    for (int s = 0; s < g.length; s++) {
      g[s] *= factor;
    }
    return new Objective(factor * value, g);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Objective ob
        && Double.compare(value, ob.value) == 0
        && Arrays.equals(dLogProbSum, ob.dLogProbSum);
  }

  @Override
  public int hashCode() {
    return 31 * Double.hashCode(value) + Arrays.hashCode(dLogProbSum);
  }

  @Override
  public String toString() {
    return "Objective[value=" + value + ", dLogProbSum=" + Arrays.toString(dLogProbSum) + "]";
  }
}
