package dev.reweigh.weighting;

import java.util.Arrays;

/**
 * Output of a {@link WeightingStrategy}: one coefficient per sample (what the fused backward
 * multiplies each sample's loss gradient by) and a keep mask (false = drop the sample; its
 * coefficient is then 0).
 *
 * @param coefficients c_s
 * @param keep keep_s
 */
public record SampleWeights(double[] coefficients, boolean[] keep) {

  public SampleWeights {
    if (coefficients == null || keep == null) {
      throw new IllegalArgumentException("coefficients and keep must not be null");
    }
    Checks.sameLength(keep.length, coefficients.length, "keep", "coefficients");
  }

  /**
   * The coefficients as floats, the type {@code FusedLoss.forwardBackward} takes.
   *
   * @return c_s rounded to float
   */
  public float[] coefficientsAsFloats() {
    float[] c = new float[coefficients.length];
    for (int s = 0; s < c.length; s++) {
      c[s] = (float) coefficients[s];
    }
    return c;
  }

  /** Weights that keep every sample. */
  public static SampleWeights keepAll(double[] coefficients) {
    boolean[] keep = new boolean[coefficients.length];
    Arrays.fill(keep, true);
    return new SampleWeights(coefficients, keep);
  }

  /** Coefficient 1 for kept samples and 0 for dropped ones (filtering methods). */
  public static SampleWeights ofMask(boolean[] keep) {
    double[] c = new double[keep.length];
    for (int s = 0; s < c.length; s++) {
      c[s] = keep[s] ? 1.0 : 0.0;
    }
    return new SampleWeights(c, keep);
  }
}
