package dev.reweigh.weighting;

import java.util.Arrays;

/**
 * A per-sample weighting a trainer can swap: per-sample statistics in, per-sample coefficients and
 * a keep mask out (docs/methods.md §7). The coefficients go to {@code
 * FusedLoss.forwardBackward} unchanged.
 *
 * <p>The factories cover the methods that need only the kernel's per-sample statistics. Methods
 * that also need answers (LMSI, EAST's entropies, SFT-Sharpening) are computed once per dataset
 * with {@link SelfConsistency}, {@link East} and {@link Sharpening}; {@link #fixed} carries their
 * result into a trainer. The pairwise DPO objectives produce signed coefficients through {@link
 * Dpo} and {@link Objective#nllCoefficients()}.
 */
@FunctionalInterface
public interface WeightingStrategy {

  /**
   * Weighs one batch.
   *
   * @param stats per-sample statistics of the batch (the global batch for online methods)
   * @return coefficients and keep mask, one per sample
   */
  SampleWeights weigh(SampleStatistics stats);

  /** Vanilla training: coefficient 1 for every sample. */
  static WeightingStrategy uniform() {
    return stats -> {
      double[] c = new double[stats.samples()];
      Arrays.fill(c, 1.0);
      return SampleWeights.keepAll(c);
    };
  }

  /** Precomputed coefficients (e.g. EAST weights expanded to samples); all kept. */
  static WeightingStrategy fixed(double[] coefficients) {
    double[] c = coefficients.clone();
    Checks.finite(c, "coefficients");
    return stats -> {
      Checks.sameLength(stats.samples(), c.length, "stats.loss", "coefficients");
      return SampleWeights.keepAll(c.clone());
    };
  }

  /** IWSI, Eq. (3)-(5) of arXiv:2408.09849: keep the fraction k with the lowest DS weight. */
  static WeightingStrategy iwsi(double validMeanLoss, double keepFraction) {
    Checks.positive(validMeanLoss, "validMeanLoss");
    Checks.fraction(keepFraction, "keepFraction");
    return stats ->
        SampleWeights.ofMask(
            Iwsi.keepLowest(Iwsi.dsWeights(stats.loss(), validMeanLoss), keepFraction));
  }

  /** IWSI-w, Eq. (7) of arXiv:2408.09849: coefficient min(Lv / L_i, C). */
  static WeightingStrategy iwsiClipped(double validMeanLoss, double clip) {
    Checks.positive(validMeanLoss, "validMeanLoss");
    Checks.positive(clip, "clip");
    return stats -> SampleWeights.keepAll(Iwsi.clippedWeights(stats.loss(), validMeanLoss, clip));
  }

  /** EAST, arXiv:2503.23913: each sample inherits its question's weight f(h). */
  static WeightingStrategy east(int[] questionOfSample, double[] questionEntropies, double a) {
    double[] f = East.weights(questionEntropies, a);
    Checks.indices(questionOfSample, f.length, "questionOfSample");
    double[] c = new double[questionOfSample.length];
    for (int s = 0; s < c.length; s++) {
      c[s] = f[questionOfSample[s]];
    }
    return fixed(c);
  }

  /** Sow et al., arXiv:2502.06733: softmax of f(h) / r over the (global) batch. */
  static WeightingStrategy lossReweighting(LossReweighting.Strategy s, double temperature) {
    Checks.positive(temperature, "temperature");
    if (s == null) {
      throw new IllegalArgumentException("s (strategy) is null");
    }
    return stats -> SampleWeights.keepAll(LossReweighting.weights(stats.loss(), s, temperature));
  }

  /** KL-DRO: softmax of l_i / r over the batch. */
  static WeightingStrategy klDro(double temperature) {
    Checks.positive(temperature, "temperature");
    return stats -> SampleWeights.keepAll(KlDro.weights(stats.loss(), temperature));
  }
}
