package dev.reweigh.weighting;

import static dev.reweigh.testkit.Rejects.assertIae;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.testkit.Close;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class DpoTest {

  /** Central finite difference step on logProbSum (values of order 1-10). */
  private static final double EPS = 1e-5;

  /**
   * Checks every dF/dlogProbSum_s against (F(lp + eps e_s) - F(lp - eps e_s)) / (2 eps), and that
   * the kernel coefficients are its negation.
   */
  private static void assertGradientMatchesFiniteDifference(
      double[] lp, ToDoubleFunction<double[]> value, Objective obj, double tol) {
    assertEquals(value.applyAsDouble(lp), obj.value(), 1e-12 * Math.max(1, Math.abs(obj.value())));
    double[] g = obj.dLogProbSum();
    double[] c = obj.nllCoefficients();
    for (int s = 0; s < lp.length; s++) {
      double[] up = lp.clone();
      double[] down = lp.clone();
      up[s] += EPS;
      down[s] -= EPS;
      double fd = (value.applyAsDouble(up) - value.applyAsDouble(down)) / (2 * EPS);
      assertTrue(
          Math.abs(fd - g[s]) <= tol, "sample " + s + ": analytic " + g[s] + " vs fd " + fd);
      assertEquals(-g[s], c[s], 0, "nll coefficient is minus dF/dlogProbSum");
    }
  }

  @Test
  void squaredLossByHand() {
    // One pair (0, 1), beta = 0.5: d = 0.5*(-3 - -4) - 0.5*(-6 - -5) - (2 - 1) = 0.5 + 0.5 - 1 = 0
    // -> F = 0, zero gradient. Change r(y') to 0: d = 0.5 + 0.5 - 2 = -1, F = 1,
    // dF/dlp0 = 2*0.5*(-1) = -1, dF/dlp1 = +1; kernel coefficients (+1, -1).
    double[] lp = {-3, -6};
    double[] ref = {-4, -5};
    Objective zero = Dpo.squaredLoss(lp, ref, new double[] {2, 1}, new int[] {0}, new int[] {1}, 0.5);
    assertEquals(0.0, zero.value(), 0);
    Close.arrays(new double[] {0, 0}, zero.dLogProbSum(), 0);
    Objective one = Dpo.squaredLoss(lp, ref, new double[] {2, 0}, new int[] {0}, new int[] {1}, 0.5);
    assertEquals(1.0, one.value(), 1e-15);
    Close.arrays(new double[] {-1, 1}, one.dLogProbSum(), 1e-15);
    Close.arrays(new double[] {1, -1}, one.nllCoefficients(), 1e-15);
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        new float[] {1f, -1f}, one.nllCoefficientsAsFloats(), 0f);
  }

  @Test
  void squaredLossGradientMatchesFiniteDifference() {
    double[][] logProbs = randomLogProbs(21, 7, 10);
    double[] lp = logProbs[0];
    double[] ref = logProbs[1];
    double[] r = ref.clone(); // r = log pi_base, the Sharpening self-reward
    int[] first = {0, 2, 4, 0, 6};
    int[] second = {1, 3, 5, 5, 2}; // samples 0, 2, 5 appear twice
    double beta = 0.3;
    Objective obj = Dpo.squaredLoss(lp, ref, r, first, second, beta);
    assertGradientMatchesFiniteDifference(
        lp, x -> Dpo.squaredLoss(x, ref, r, first, second, beta).value(), obj, 1e-6);
  }

  @Test
  void squaredLossOptimumSharpensBase() {
    // With r = ln pi_base the bracket vanishes at ln pi = (1 + 1/beta) ln pi_base + const.
    double beta = 0.5;
    double[] ref = {-2, -5, -1};
    double[] lp = new double[3];
    for (int s = 0; s < 3; s++) {
      lp[s] = (1 + 1 / beta) * ref[s] + 0.7;
    }
    Objective obj = Dpo.squaredLoss(lp, ref, ref, new int[] {0, 1}, new int[] {1, 2}, beta);
    assertEquals(0.0, obj.value(), 1e-20);
    Close.arrays(new double[] {0, 0, 0}, obj.dLogProbSum(), 1e-14);
  }

  @Test
  void sigmoidByHandAndFiniteDifference() {
    // z = beta*((lp_w - ref_w) - (lp_l - ref_l)) = 1*((-1 - -1) - (-2 - -2)) = 0:
    // F = ln 2, dF/dlp_w = -beta/2, dF/dlp_l = +beta/2.
    Objective o =
        Dpo.sigmoid(new double[] {-1, -2}, new double[] {-1, -2}, new int[] {0}, new int[] {1}, 1.0);
    assertEquals(Math.log(2), o.value(), 1e-15);
    Close.arrays(new double[] {-0.5, 0.5}, o.dLogProbSum(), 1e-15);
    Close.arrays(new double[] {0.5, -0.5}, o.nllCoefficients(), 1e-15);

    double[][] logProbs = randomLogProbs(4, 6, 20);
    double[] lp = logProbs[0];
    double[] ref = logProbs[1];
    int[] w = {0, 2, 4, 0};
    int[] l = {1, 3, 5, 3};
    Objective obj = Dpo.sigmoid(lp, ref, w, l, 0.1);
    assertGradientMatchesFiniteDifference(
        lp, x -> Dpo.sigmoid(x, ref, w, l, 0.1).value(), obj, 1e-8);
  }

  /**
   * beta = 0.5 with policy and reference log-probs that differ, so beta must scale both ratios
   * (Rafailov et al. Eq. 7): z = 0.5*((-1.5 - -2) - (-4 - -3)) = 0.5*1.5 = 0.75, F = ln(1 +
   * e^-0.75) = 0.38687100611, sigmoid(-0.75) = 0.32082130082, dF/dlp_w = -0.5*0.32082130082 =
   * -0.16041065041 = -dF/dlp_l. Leaving the reference unscaled gives z = 1.25 - 1 = 0.25 instead. A
   * second pair (2, 1) with z = 0.5*((-2.5 - -2.25) - (-1)) = 0.375 shares sample 1: F adds ln(1 +
   * e^-0.375) = 0.52312326414, sigmoid(-0.375) = 0.40733340005, sample 1's gradient is the sum.
   */
  @Test
  void sigmoidByHandWithBetaAndDistinctReference() {
    double[] lp = {-1.5, -4.0, -2.5};
    double[] ref = {-2.0, -3.0, -2.25};
    Objective one = Dpo.sigmoid(lp, ref, new int[] {0}, new int[] {1}, 0.5);
    assertEquals(0.38687100611489994, one.value(), 1e-14);
    Close.arrays(
        new double[] {-0.1604106504123035, 0.1604106504123035, 0}, one.dLogProbSum(), 1e-15);
    Objective two = Dpo.sigmoid(lp, ref, new int[] {0, 2}, new int[] {1, 1}, 0.5);
    assertEquals(0.9099942702547399, two.value(), 1e-14);
    Close.arrays(
        new double[] {-0.1604106504123035, 0.3640773504352687, -0.20366670002296514},
        two.dLogProbSum(),
        1e-15);
  }

  /**
   * The finite difference runs on F written out here from Rafailov et al. Eq. 7, not on the
   * implementation's own value, with beta = 0.3 and reference log-probs unrelated to the policy's.
   */
  @Test
  void sigmoidGradientMatchesFiniteDifferenceOfIndependentValue() {
    double[][] logProbs = randomLogProbs(17, 6, 8);
    double[] lp = logProbs[0];
    double[] ref = logProbs[1];
    int[] w = {0, 2, 4, 1};
    int[] l = {1, 3, 5, 4};
    double beta = 0.3;
    ToDoubleFunction<double[]> eq7 =
        x -> {
          double f = 0;
          for (int p = 0; p < w.length; p++) {
            double z = beta * (x[w[p]] - ref[w[p]]) - beta * (x[l[p]] - ref[l[p]]);
            f += Math.log(1 + Math.exp(-z));
          }
          return f;
        };
    Objective obj = Dpo.sigmoid(lp, ref, w, l, beta);
    assertEquals(eq7.applyAsDouble(lp), obj.value(), 1e-12);
    assertGradientMatchesFiniteDifference(lp, eq7, obj, 1e-8);
  }

  /**
   * Eq. (8) of Huang et al. written out here with beta = 0.25 and rewards unrelated to the
   * reference: F and its finite difference come from this independent expression.
   */
  @Test
  void squaredLossGradientMatchesFiniteDifferenceOfIndependentValue() {
    double[] lp = {-3.0, -7.5, -1.25, -4.0};
    double[] ref = {-2.0, -6.0, -3.0, -4.5};
    double[] r = {0.3, -0.7, 1.1, 0.2};
    int[] first = {0, 2, 3};
    int[] second = {1, 1, 0};
    double beta = 0.25;
    ToDoubleFunction<double[]> eq8 =
        x -> {
          double f = 0;
          for (int p = 0; p < first.length; p++) {
            int y = first[p];
            int y2 = second[p];
            double d = beta * Math.log(Math.exp(x[y]) / Math.exp(ref[y]))
                - beta * Math.log(Math.exp(x[y2]) / Math.exp(ref[y2]))
                - (r[y] - r[y2]);
            f += d * d;
          }
          return f;
        };
    // Pair (0, 1) by hand: d = 0.25*(-1) - 0.25*(-1.5) - (0.3 + 0.7) = -0.875, d^2 = 0.765625.
    Objective single = Dpo.squaredLoss(lp, ref, r, new int[] {0}, new int[] {1}, beta);
    assertEquals(0.765625, single.value(), 1e-15);
    Close.arrays(new double[] {-0.4375, 0.4375, 0, 0}, single.dLogProbSum(), 1e-15);
    Objective obj = Dpo.squaredLoss(lp, ref, r, first, second, beta);
    assertEquals(eq8.applyAsDouble(lp), obj.value(), 1e-12);
    assertGradientMatchesFiniteDifference(lp, eq8, obj, 1e-6);
  }

  @Test
  void sigmoidIsStableForHugeMargins() {
    // z = 1e4: F = softplus(-1e4) ~ e^-1e4 = 0; z = -1e4: F = 1e4, gradient -beta/+beta.
    Objective big =
        Dpo.sigmoid(new double[] {0, -1e4}, new double[] {0, 0}, new int[] {0}, new int[] {1}, 1);
    assertEquals(0.0, big.value(), 1e-300);
    Objective neg =
        Dpo.sigmoid(new double[] {-1e4, 0}, new double[] {0, 0}, new int[] {0}, new int[] {1}, 1);
    assertEquals(1e4, neg.value(), 1e-9);
    Close.arrays(new double[] {-1, 1}, neg.dLogProbSum(), 1e-15);
  }

  @Test
  void xpoTermAndSumWithEq8() {
    double[] lp = {-3, -4, -5};
    double[] ref = {-3.5, -4.5, -4};
    double alpha = 0.2;
    Objective x = Dpo.xpoExploration(lp, new int[] {1, 2, 2}, alpha);
    // F = 0.2 * (-4 - 5 - 5) = -2.8; dF/dlp = (0, 0.2, 0.4).
    assertEquals(-2.8, x.value(), 1e-14);
    Close.arrays(new double[] {0, 0.2, 0.4}, x.dLogProbSum(), 1e-15);

    int[] first = {0};
    int[] second = {1};
    Objective total = Dpo.squaredLoss(lp, ref, ref, first, second, 0.5).plus(x);
    assertGradientMatchesFiniteDifference(
        lp,
        v -> Dpo.squaredLoss(v, ref, ref, first, second, 0.5).value()
            + Dpo.xpoExploration(v, new int[] {1, 2, 2}, alpha).value(),
        total,
        1e-6);
    Objective mean = total.scaled(0.5);
    assertEquals(total.value() / 2, mean.value(), 1e-15);
    Close.arrays(
        new double[] {total.dLogProbSum()[0] / 2, total.dLogProbSum()[1] / 2, total.dLogProbSum()[2] / 2},
        mean.dLogProbSum(),
        1e-15);
  }

  @Test
  void invalidInput() {
    double[] lp = {-1, -2};
    double[] ref = {-1, -2};
    assertIae(
        () -> Dpo.squaredLoss(lp, ref, ref, new int[] {0}, new int[] {2}, 1), "second[0] = 2");
    assertIae(
        () -> Dpo.squaredLoss(lp, ref, ref, new int[] {0, 1}, new int[] {1}, 1),
        "second.length = 1");
    assertIae(() -> Dpo.squaredLoss(lp, ref, ref, new int[] {0}, new int[] {1}, 0), "beta");
    assertIae(
        () -> Dpo.sigmoid(new double[] {-1, Double.NaN}, ref, new int[] {0}, new int[] {1}, 1),
        "logProbSums[1]");
    assertIae(
        () -> Dpo.sigmoid(lp, new double[] {-1}, new int[] {0}, new int[] {1}, 1),
        "refLogProbSums.length = 1");
    assertIae(() -> Dpo.xpoExploration(lp, new int[] {-1}, 1), "explorationSamples[0] = -1");
    assertIae(() -> Dpo.xpoExploration(lp, new int[] {0}, -1), "alpha");
  }

  /** Policy and reference log-probs {lp, ref} of n samples in (-scale, 0], drawn in turn from seed. */
  private static double[][] randomLogProbs(long seed, int n, double scale) {
    Random rnd = new Random(seed);
    double[][] out = new double[2][n];
    for (int s = 0; s < n; s++) {
      out[0][s] = -scale * rnd.nextDouble();
      out[1][s] = -scale * rnd.nextDouble();
    }
    return out;
  }
}
