package dev.reweigh.weighting;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Hand-worked numbers for {@link PolicyGradient}: clipped tokens on both sides of the clip with
 * positive and negative advantages, both normalisations, the decoupled clip of DAPO, the k3 KL
 * term and its derivative, PPO-clip with per-token advantages and DFT; then bad input.
 *
 * <p>Ratios are set through logp = oldLogp + ln(rho) in float, so each rho carries a float
 * rounding of about 1e-7 relative: tolerances are 1e-6.
 */
class PolicyGradientTest {
  private static final double TOL = 1e-6;
  private static final float OLD = -1f;

  private static float lp(double rho) {
    return (float) (OLD + Math.log(rho));
  }

  /**
   * Two samples, eps = 0.2. Sample 0 (A = +1): row 0 a prompt row (not counted), row 1 rho = 1.5
   * (above the clip: min(1.5, 1.2) = 1.2 clipped, d = 0), row 2 rho = 0.5 (below: min(0.5, 0.8)
   * = 0.5 unclipped, d = 0.5). Sample 1 (A = -1): row 3 rho = 1.5 (min(-1.5, -1.2) = -1.5
   * unclipped, d = -1.5), row 4 rho = 0.5 (min(-0.5, -0.8) = -0.8 clipped, d = 0), row 5 rho = 1
   * (-1, d = -1).
   */
  private static final float[] LOGP = {0f, lp(1.5), lp(0.5), lp(1.5), lp(0.5), lp(1.0)};
  private static final float[] OLD_LOGP = {0f, OLD, OLD, OLD, OLD, OLD};
  private static final int[] OFFSETS = {0, 3, 6};
  private static final boolean[] COUNTED = {false, true, true, true, true, true};
  private static final double[] ADVANTAGES = {1, -1};

  @Test
  void grpoSequenceLevelBothSidesOfTheClip() {
    // J = 1/2 [ (1.2 + 0.5) / 2 + (-1.5 - 0.8 - 1) / 3 ] = 1/2 [0.85 - 1.1] = -0.125; F = 0.125.
    // dF/dlogp = -(1 / (2 n_i)) * d: row 2: -0.5/4; row 3: +1.5/6; row 5: +1/6; clipped rows 0.
    TokenObjective o = PolicyGradient.grpo(LOGP, OLD_LOGP, null, OFFSETS, COUNTED, ADVANTAGES,
        0.2, 0, PolicyGradient.Level.SEQUENCE);
    assertEquals(0.125, o.value(), TOL);
    assertArrayEquals(new double[] {0, 0, -0.125, 0.25, 0, 1.0 / 6}, o.dLogp(), TOL);
    assertArrayEquals(new float[] {0f, 0f, 0.125f, -0.25f, 0f, (float) (-1.0 / 6)},
        o.rowWeights(), 1e-6f);
  }

  @Test
  void grpoTokenLevel() {
    // J = (1.2 + 0.5 - 1.5 - 0.8 - 1) / 5 = -1.6 / 5 = -0.32; F = 0.32; dF/dlogp = -d / 5.
    TokenObjective o = PolicyGradient.grpo(LOGP, OLD_LOGP, null, OFFSETS, COUNTED, ADVANTAGES,
        0.2, 0, PolicyGradient.Level.TOKEN);
    assertEquals(0.32, o.value(), TOL);
    assertArrayEquals(new double[] {0, 0, -0.1, 0.3, 0, 0.2}, o.dLogp(), TOL);
  }

  @Test
  void dapoDecoupledClipKeepsARatioThatGrpoClips() {
    // rho = 1.25, A = +1: GRPO's 1 + 0.2 clips it (value 1.2, d = 0); DAPO's 1 + 0.28 does not
    // (value 1.25, d = 1.25). Row 1: rho = 0.75, A = +1: below both lower clips (0.8):
    // min(0.75, 0.8) = 0.75, unclipped, d = 0.75.
    float[] logp = {lp(1.25), lp(0.75)};
    float[] old = {OLD, OLD};
    int[] offsets = {0, 2};
    boolean[] counted = {true, true};
    TokenObjective dapo = PolicyGradient.dapo(logp, old, offsets, counted, new double[] {1},
        0.2, 0.28);
    assertEquals(-(1.25 + 0.75) / 2, dapo.value(), TOL);
    assertArrayEquals(new double[] {-1.25 / 2, -0.75 / 2}, dapo.dLogp(), TOL);
    TokenObjective grpo = PolicyGradient.grpo(logp, old, null, offsets, counted,
        new double[] {1}, 0.2, 0, PolicyGradient.Level.TOKEN);
    assertEquals(-(1.2 + 0.75) / 2, grpo.value(), TOL);
    assertArrayEquals(new double[] {0, -0.75 / 2}, grpo.dLogp(), TOL);
  }

  @Test
  void grpoK3KlTermAndItsDerivative() {
    // One token, rho = 1, A = 0 (surrogate 0), ref - logp = -0.5, beta = 0.1:
    // D = e^-0.5 + 0.5 - 1 = 0.1065306597, dD/dlogp = 1 - e^-0.5 = 0.3934693403.
    // J = -0.1 D; F = 0.01065306597; dF/dlogp = +0.1 * 0.3934693403.
    float[] logp = {OLD};
    TokenObjective o = PolicyGradient.grpo(logp, new float[] {OLD}, new float[] {OLD - 0.5f},
        new int[] {0, 1}, new boolean[] {true}, new double[] {0}, 0.2, 0.1,
        PolicyGradient.Level.SEQUENCE);
    assertEquals(0.01065306597, o.value(), 1e-9);
    assertArrayEquals(new double[] {0.03934693403}, o.dLogp(), 1e-9);
    // The derivative is that of the value: central differences in logp (double, via the ratio
    // of F's closed form at logp +- h, independent of the code's derivative).
    double h = 1e-4;
    double up = k3(OLD + h, OLD - 0.5);
    double down = k3(OLD - h, OLD - 0.5);
    assertEquals((0.1 * up - 0.1 * down) / (2 * h), o.dLogp()[0], 1e-7);
  }

  private static double k3(double logp, double ref) {
    return Math.exp(ref - logp) - (ref - logp) - 1;
  }

  @Test
  void ppoClipPerTokenAdvantages() {
    // Row 0: rho = 1.1, A = 2: inside the clip, 2.2, d = 2.2. Row 1: rho = 0.7, A = -1:
    // min(-0.7, -0.8) = -0.8 clipped, d = 0. Row 2 not counted. J = (2.2 - 0.8) / 2 = 0.7.
    float[] logp = {lp(1.1), lp(0.7), 0f};
    TokenObjective o = PolicyGradient.ppoClip(logp, new float[] {OLD, OLD, 0f},
        new int[] {0, 3}, new boolean[] {true, true, false}, new double[] {2, -1, 0}, 0.2);
    assertEquals(-0.7, o.value(), TOL);
    assertArrayEquals(new double[] {-1.1, 0, 0}, o.dLogp(), TOL);
  }

  @Test
  void dftScalesEachTokenByItsDetachedProbability() {
    // p = 0.5 and 0.25 on the counted rows: F = (0.5 ln 2 + 0.25 ln 4) / 2 = 0.5 ln 2;
    // dF/dlogp = -p / 2.
    float[] logp = {(float) Math.log(0.5), 0f, (float) Math.log(0.25)};
    TokenObjective o = PolicyGradient.dft(logp, new int[] {0, 1, 3},
        new boolean[] {true, false, true});
    assertEquals(0.5 * Math.log(2), o.value(), TOL);
    assertArrayEquals(new double[] {-0.25, 0, -0.125}, o.dLogp(), TOL);
  }

  @Test
  void groupAdvantagesArePopulationStandardised() {
    // Group [1, 0, 0, 0]: mean 0.25, population std sqrt(0.1875) = sqrt(3)/4:
    // A = 0.75 / (sqrt(3)/4) = sqrt(3), -0.25 / (sqrt(3)/4) = -1/sqrt(3). Group [2, 2]: all 0.
    double[] a = PolicyGradient.groupAdvantages(new double[] {1, 0, 0, 0, 2, 2, 5, 3}, 2, 0);
    assertArrayEquals(new double[] {1, -1, 0, 0, 0, 0, 1, -1}, a, 1e-12);
    double[] b = PolicyGradient.groupAdvantages(new double[] {1, 0, 0, 0}, 4, 0);
    double s3 = Math.sqrt(3);
    assertArrayEquals(new double[] {s3, -1 / s3, -1 / s3, -1 / s3}, b, 1e-12);
  }

  @Test
  void badInputNamesTheArgumentAndIndex() {
    float[] old = OLD_LOGP.clone();
    old[3] = Float.NaN;
    expect(() -> PolicyGradient.grpo(LOGP, old, null, OFFSETS, COUNTED, ADVANTAGES, 0.2, 0,
        PolicyGradient.Level.SEQUENCE), "oldLogp[3] = NaN");
    // A NaN on a row that is not counted is never read.
    float[] oldPrompt = OLD_LOGP.clone();
    oldPrompt[0] = Float.NaN;
    PolicyGradient.grpo(LOGP, oldPrompt, null, OFFSETS, COUNTED, ADVANTAGES, 0.2, 0,
        PolicyGradient.Level.SEQUENCE);
    expect(() -> PolicyGradient.grpo(LOGP, OLD_LOGP, new float[2], OFFSETS, COUNTED, ADVANTAGES,
        0.2, 0.1, PolicyGradient.Level.SEQUENCE), "refLogp.length = 2");
    expect(() -> PolicyGradient.grpo(LOGP, OLD_LOGP, null, OFFSETS, COUNTED, ADVANTAGES, 0.2,
        0.1, PolicyGradient.Level.SEQUENCE), "refLogp is null");
    expect(() -> PolicyGradient.grpo(LOGP, OLD_LOGP, null, new int[] {0, 4, 5}, COUNTED,
        ADVANTAGES, 0.2, 0, PolicyGradient.Level.SEQUENCE), "offsets[2] = 5");
    expect(() -> PolicyGradient.grpo(LOGP, OLD_LOGP, null, OFFSETS, COUNTED,
        new double[] {1, Double.NaN}, 0.2, 0, PolicyGradient.Level.SEQUENCE), "advantages[1]");
    expect(() -> PolicyGradient.dapo(LOGP, OLD_LOGP, OFFSETS, COUNTED, ADVANTAGES, 0.2, -1),
        "epsHigh = -1");
    expect(() -> PolicyGradient.ppoClip(LOGP, OLD_LOGP, OFFSETS, COUNTED, new double[] {0, 0},
        0.2), "tokenAdvantages.length = 2");
    expect(() -> PolicyGradient.dft(LOGP, OFFSETS, new boolean[2]), "counted.length = 2");
    expect(() -> PolicyGradient.groupAdvantages(new double[] {1, 2, 3}, 2, 0),
        "groupSize = 2");
  }

  private static void expect(Runnable r, String needle) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(needle), "'" + e.getMessage() + "' lacks " + needle);
  }
}
