package dev.reweigh.weighting;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;

/**
 * IWSI: importance weighting for self-improvement, the distribution-shift (DS) weight.
 *
 * <p>Implements Jiang et al. (AAAI 2025), "Importance Weighting Can Help Large Language Models
 * Self-Improve", arXiv:2408.09849: Eq. (8) the validation mean loss, Eq. (3) the naive weight,
 * Eq. (4) the symmetrised DS weight, Eq. (5) the keep-the-lowest filter and Eq. (7) the clipped
 * weight of IWSI-w. Formulas and edge cases: docs/methods.md §2.
 *
 * <p>Symbols: {@code L_i} = {@code sampleLosses[i]} (mean token NLL of training sample i under the
 * base model); {@code Lv} = {@code validMeanLoss}; {@code w'_i} naive weight; {@code wDS_i} DS
 * weight; {@code k} = {@code keepFraction}; {@code sigma} the keep threshold; {@code C} = {@code
 * clip}.
 *
 * @see <a href="https://arxiv.org/abs/2408.09849">arXiv:2408.09849</a>
 */
public final class Iwsi {

  /** The paper's keep fraction k for Eq. (5). */
  public static final double DEFAULT_KEEP_FRACTION = 0.8;

  /** The paper's clip value C for Eq. (7). */
  public static final double DEFAULT_CLIP = 2.0;

  private Iwsi() {}

  /**
   * Implements Eq. (8) of Jiang et al. (AAAI 2025), arXiv:2408.09849: {@code Lv = mean_j L(x_j^v)},
   * the plain mean of the per-sample validation losses (computed with the base model).
   *
   * @param validLosses per-sample losses on the validation set D_v, each finite and {@code >= 0}
   * @return Lv
   */
  public static double validMeanLoss(double[] validLosses) {
    Checks.losses(validLosses, "validLosses");
    double sum = 0;
    for (double l : validLosses) {
      sum += l;
    }
    return sum / validLosses.length;
  }

  /**
   * Implements Eq. (3) of Jiang et al. (AAAI 2025), arXiv:2408.09849: naive weight {@code w'_i = Lv
   * / L_i}; {@code L_i = 0} gives +infinity.
   *
   * @param sampleLosses L_i, each finite and {@code >= 0}
   * @param validMeanLoss Lv, finite and {@code > 0}
   * @return w'
   */
  public static double[] naiveWeights(double[] sampleLosses, double validMeanLoss) {
    Checks.losses(sampleLosses, "sampleLosses");
    Checks.positive(validMeanLoss, "validMeanLoss");
    double[] w = new double[sampleLosses.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = sampleLosses[i] == 0 ? Double.POSITIVE_INFINITY : validMeanLoss / sampleLosses[i];
    }
    return w;
  }

  /**
   * Implements Eq. (3) + Eq. (4) of Jiang et al. (AAAI 2025), arXiv:2408.09849: the DS weight
   * {@code wDS_i = max(w'_i, 1 / w'_i)} with {@code w'_i = Lv / L_i}; always {@code >= 1}, 1
   * meaning no shift. {@code L_i = 0} gives +infinity (the sample is always filtered by {@link
   * #keepLowest}).
   *
   * <p>Computed as {@code max(Lv / L_i, L_i / Lv)}, which equals Eq. (4) without the rounding of a
   * reciprocal.
   *
   * @param sampleLosses L_i, each finite and {@code >= 0}
   * @param validMeanLoss Lv, finite and {@code > 0}
   * @return wDS
   * @throws IllegalArgumentException on NaN, infinite or negative losses, an empty array, or {@code
   *     Lv <= 0}
   */
  public static double[] dsWeights(double[] sampleLosses, double validMeanLoss) {
    Checks.losses(sampleLosses, "sampleLosses");
    Checks.positive(validMeanLoss, "validMeanLoss");
    double[] wDS = new double[sampleLosses.length];
    for (int i = 0; i < wDS.length; i++) {
      double L_i = sampleLosses[i];
      wDS[i] =
          L_i == 0 ? Double.POSITIVE_INFINITY : Math.max(validMeanLoss / L_i, L_i / validMeanLoss);
    }
    return wDS;
  }

  /**
   * Implements Eq. (5) of Jiang et al. (AAAI 2025), arXiv:2408.09849: keep the fraction k of
   * samples with the lowest DS weight, ranked globally over all samples passed in. Paper tie
   * policy: {@code sigma} is the {@code ceil(k*n)}-th smallest wDS and every sample with {@code wDS
   * <= sigma} is kept, so ties at sigma are all kept and more than {@code ceil(k*n)} samples may be
   * kept.
   *
   * <p>{@code k*n} is computed in decimal from the shortest decimal form of k ({@code
   * Double.toString}), so {@code k = 0.7, n = 10} gives 7, not the 8 that {@code ceil(0.7 * 10.0)}
   * would give because {@code 0.7 * 10.0 = 7.000000000000001} in binary.
   *
   * @param dsWeights wDS, no NaN (+infinity allowed)
   * @param keepFraction k in (0, 1]; the paper uses {@link #DEFAULT_KEEP_FRACTION}
   * @return keep mask
   */
  public static boolean[] keepLowest(double[] dsWeights, double keepFraction) {
    Checks.noNaN(dsWeights, "dsWeights");
    Checks.fraction(keepFraction, "keepFraction");
    double sigma = threshold(dsWeights.clone(), keepFraction);
    boolean[] keep = new boolean[dsWeights.length];
    for (int i = 0; i < keep.length; i++) {
      keep[i] = dsWeights[i] <= sigma;
    }
    return keep;
  }

  /**
   * The Eq. (5) threshold sigma of Jiang et al. (AAAI 2025), arXiv:2408.09849: the {@code
   * ceil(k*n)}-th smallest of {@code values}, which this method sorts in place. Exposed for callers
   * (such as the CLI) that gather wDS in a first pass.
   *
   * @param values wDS values, no NaN; sorted in place
   * @param keepFraction k in (0, 1]
   * @return sigma
   */
  public static double threshold(double[] values, double keepFraction) {
    Checks.noNaN(values, "values");
    Checks.fraction(keepFraction, "keepFraction");
    Arrays.sort(values);
    return values[rank(values.length, keepFraction) - 1];
  }

  /** {@code ceil(k*n)} in exact decimal arithmetic on k's shortest decimal form; in [1, n]. */
  static int rank(int n, double keepFraction) {
    return (int) keepRank(n, keepFraction);
  }

  /**
   * The rank of the Eq. (5) threshold of Jiang et al. (AAAI 2025), arXiv:2408.09849: sigma is the
   * {@code keepRank(n, k)}-th smallest of n DS weights, {@code ceil(k*n)} computed in decimal as in
   * {@link #keepLowest}, clamped to [1, n]. For callers that select sigma without sorting every
   * value in one array (module reweigh-spark selects it over a distributed dataset).
   *
   * @param n number of ranked samples, {@code >= 0}
   * @param keepFraction k in (0, 1]
   * @return ceil(k*n), at least 1
   */
  public static long keepRank(long n, double keepFraction) {
    Checks.fraction(keepFraction, "keepFraction");
    long m =
        new BigDecimal(Double.toString(keepFraction))
            .multiply(BigDecimal.valueOf(n))
            .setScale(0, RoundingMode.CEILING)
            .longValueExact();
    return Math.max(1, Math.min(n, m));
  }

  /**
   * Implements Eq. (7) of Jiang et al. (AAAI 2025), arXiv:2408.09849, IWSI-w: weight {@code
   * min(w'_i, C)} with {@code w'_i = Lv / L_i} (Eq. 3) instead of filtering; {@code L_i = 0} gives
   * C. The paper reports IWSI-w below IWSI; both are offered.
   *
   * @param sampleLosses L_i, each finite and {@code >= 0}
   * @param validMeanLoss Lv, finite and {@code > 0}
   * @param clip C, finite and {@code > 0}; the paper uses {@link #DEFAULT_CLIP}
   * @return the clipped weights
   */
  public static double[] clippedWeights(double[] sampleLosses, double validMeanLoss, double clip) {
    Checks.positive(clip, "clip");
    double[] w = naiveWeights(sampleLosses, validMeanLoss);
    for (int i = 0; i < w.length; i++) {
      w[i] = Math.min(w[i], clip);
    }
    return w;
  }
}
