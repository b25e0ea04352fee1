package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Every option and every normaliser on numbers worked by hand from docs/design.md §3, with the
 * options written as literals here: nothing is read back from a {@link LossSpec} getter, so a
 * builder that drops or mis-maps an option fails. Rows use the logits [0, ln 3] (p = [1/4, 3/4]),
 * [0, 0] (p = [1/2, 1/2]) and [ln 3, 0]; the float32 kernel is held to 1e-6.
 */
class OptionsHandWorkedTest {

  private static final float LN3 = (float) Math.log(3);
  private static final double TOL = 1e-6;

  /**
   * The batch of the normaliser cases. Rows: r0 [0, ln 3] target 1 (loss -ln 3/4 = 0.2876821),
   * r1 [0, 0] target 0 (ln 2 = 0.6931472), r2 [ln 3, 0] target 1 (-ln 1/4 = 1.3862944), r3
   * ignored. Samples: s0 = {r0, r1}, s1 = {r2, r3} (one counted row), s2 empty; coefficients 2,
   * 0.5 and 3 (s2's 3 counts in no normaliser: it has no counted row).
   */
  private static final float[] LOGITS = {0f, LN3, 0f, 0f, LN3, 0f, 0f, 0f};
  private static final int[] TARGETS = {1, 0, 1, -100};
  private static final int[] OFFSETS = {0, 2, 4, 4};
  private static final float[] COEFFICIENTS = {2f, 0.5f, 3f};

  private static LossResult run(LossSpec spec, float[] grad) {
    return FusedLoss.forwardBackward(LOGITS, 2, TARGETS, OFFSETS, COEFFICIENTS, spec, grad);
  }

  /** The row [0, ln 3], target 1, alone: one sample, coefficient 1. */
  private static LossResult runRow0(LossSpec spec, float[] grad) {
    return FusedLoss.forwardBackward(
        new float[] {0f, LN3}, 2, new int[] {1}, new int[] {0, 1}, new float[] {1f}, spec, grad);
  }

  private static void assertGrad(double[] expected, float[] grad) {
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], grad[i], TOL, "grad[" + i + "]");
    }
  }

  /**
   * MEAN: loss0 = (0.2876821 + 0.6931472) / 2 = 0.4904146, loss1 = 1.3862944; numerator = 2 *
   * 0.4904146 + 0.5 * 1.3862944 = 1.6739764. D: WEIGHT_SUM 2 + 0.5 = 2.5, TOKENS 3, SAMPLES 2,
   * NONE 1.
   */
  @Test
  void meanReductionUnderEveryNormaliser() {
    double num = 1.6739764335716716;
    LossResult ws = run(LossSpec.defaults(), new float[8]);
    assertEquals(0.4904146, ws.stats().loss(0), TOL);
    assertEquals(1.3862944, ws.stats().loss(1), TOL);
    assertEquals(0.0, ws.stats().loss(2), 0);
    assertEquals(num / 2.5, ws.total(), TOL);
    assertEquals(num / 3,
        run(LossSpec.builder().normalization(Normalization.TOKENS).build(), new float[8]).total(),
        TOL);
    assertEquals(num / 2,
        run(LossSpec.builder().normalization(Normalization.SAMPLES).build(), new float[8]).total(),
        TOL);
    assertEquals(num,
        run(LossSpec.builder().normalization(Normalization.NONE).build(), new float[8]).total(),
        TOL);
  }

  /**
   * TOKENS, MEAN: k0 = 2 / (3 * 2) = 1/3 on r0 (p - onehot = [1/4, -1/4]) and r1 ([-1/2, 1/2]);
   * k1 = 0.5 / 3 = 1/6 on r2 ([3/4, -3/4]); r3 ignored: zero.
   */
  @Test
  void tokensNormaliserGradientByHand() {
    float[] grad = new float[8];
    run(LossSpec.builder().normalization(Normalization.TOKENS).build(), grad);
    assertGrad(new double[] {1.0 / 12, -1.0 / 12, -1.0 / 6, 1.0 / 6, 0.125, -0.125, 0, 0}, grad);
  }

  /**
   * SUM: loss0 = 0.2876821 + 0.6931472 = 0.9808293, numerator = 2 * 0.9808293 + 0.5 * 1.3862944 =
   * 2.6548057; D = 2.5, 3, 2, 1.
   */
  @Test
  void sumReductionUnderEveryNormaliser() {
    double num = 2.6548056865833978;
    LossSpec.Builder sum = LossSpec.builder().tokenReduction(TokenReduction.SUM);
    LossResult ws = run(sum.build(), new float[8]);
    assertEquals(0.9808293, ws.stats().loss(0), TOL);
    assertEquals(num / 2.5, ws.total(), TOL);
    assertEquals(num / 3, run(sum.normalization(Normalization.TOKENS).build(), new float[8]).total(),
        TOL);
    assertEquals(num / 2,
        run(sum.normalization(Normalization.SAMPLES).build(), new float[8]).total(), TOL);
    assertEquals(num, run(sum.normalization(Normalization.NONE).build(), new float[8]).total(),
        TOL);
  }

  /**
   * Explicit D = 4 set after TOKENS: {@code normalizer(d)} switches the mode, so total = 1.6739764
   * / 4 (not / 3). SUM with D = 4: k0 = 2 / 4 = 1/2 on r0, r1; k1 = 0.5 / 4 = 1/8 on r2.
   */
  @Test
  void explicitNormaliserSwitchesTheMode() {
    LossSpec spec = LossSpec.builder().normalization(Normalization.TOKENS).normalizer(4.0).build();
    float[] grad = new float[8];
    assertEquals(1.6739764335716716 / 4, run(spec, grad).total(), TOL);
    assertGrad(new double[] {0.0625, -0.0625, -0.125, 0.125, 0.09375, -0.09375, 0, 0}, grad);

    LossSpec sum = LossSpec.builder().tokenReduction(TokenReduction.SUM).normalizer(4.0).build();
    assertEquals(2.6548056865833978 / 4, run(sum, grad).total(), TOL);
    assertGrad(new double[] {0.125, -0.125, -0.25, 0.25, 0.09375, -0.09375, 0, 0}, grad);
  }

  /** A negative explicit D is allowed (finite, nonzero): total = 1.6739764 / -2, gradient sign flips. */
  @Test
  void negativeExplicitNormaliser() {
    float[] grad = new float[8];
    assertEquals(-0.8369882167858358,
        run(LossSpec.builder().normalizer(-2.0).build(), grad).total(), TOL);
    // k0 = 2 / (-2 * 2) = -1/2 on r0: -1/2 * [1/4, -1/4].
    assertEquals(-0.125, grad[0], TOL);
    assertEquals(0.125, grad[1], TOL);
  }

  /**
   * z-loss lambda = 0.01 (float32: 0.0099999998) on [0, ln 3], target 1: lse = ln 4 = 1.3862944,
   * rowLoss = -ln 3/4 + lambda lse^2 = 0.2876821 + 0.0192181 = 0.3069002; gradient p (1 + 2 lambda
   * lse) - onehot = [0.2569315, 0.75 * 1.0277259 - 1 = -0.2292056].
   */
  @Test
  void zLossByHand() {
    float[] grad = new float[2];
    LossResult r = runRow0(LossSpec.builder().zLoss(0.01f).build(), grad);
    assertEquals(0.3069001925789505, r.total(), TOL);
    assertEquals(0.3069001925789505, r.stats().loss(0), TOL);
    assertEquals(Math.log(0.75), r.stats().logProbSum(0), TOL);
    assertGrad(new double[] {0.256931471650669, -0.22920558504799304}, grad);
  }

  /**
   * logitScale 2 on [0, ln 3]: z' = [0, ln 9], p = [1/10, 9/10]; loss = -ln 0.9 = 0.1053605,
   * lse = ln 10, entropy = -(0.1 ln 0.1 + 0.9 ln 0.9) = 0.3250830, gradient 2 (p - onehot) =
   * [0.2, -0.2].
   */
  @Test
  void logitScaleByHand() {
    float[] grad = new float[2];
    LossResult r = runRow0(LossSpec.builder().logitScale(2f).build(), grad);
    assertEquals(0.1053605156578264, r.total(), TOL);
    assertEquals(Math.log(0.9), r.stats().logProbSum(0), TOL);
    assertEquals(0.3250829733914483, r.stats().meanEntropy(0), TOL);
    assertEquals(Math.log(10), r.stats().rowLse()[0], TOL);
    assertGrad(new double[] {0.2, -0.2}, grad);
  }

  /**
   * softcap c = 1 on [0, ln 3]: z' = [0, tanh(ln 3)] = [0, 0.8] exactly ((3 - 1/3) / (3 + 1/3));
   * p = [1 / (1 + e^0.8), e^0.8 / (1 + e^0.8)] = [0.3100255, 0.6899745]; loss = ln(1 + e^-0.8) =
   * 0.3711007; dz'/dz = 1 - tanh^2 = [1, 0.36]: gradient [0.3100255, (0.6899745 - 1) * 0.36 =
   * -0.1116092].
   */
  @Test
  void softcapByHand() {
    float[] grad = new float[2];
    LossResult r = runRow0(LossSpec.builder().softcap(1f).build(), grad);
    assertEquals(0.37110066594777763, r.total(), TOL);
    assertGrad(new double[] {0.31002551887238755, -0.11160918679405946}, grad);
  }

  /**
   * ignoreIndex 1 (a real class): targets {1, 0} leave only row 1 ([0, ln 3], target 0): loss
   * -ln 1/4 = 1.3862944, one token; TOKENS gives D = 1, so total = 2 * 1.3862944 and row 1's
   * gradient is 2 (p - onehot) = [-1.5, 1.5]; row 0 is zero. With the default -100 row 0 would
   * count as class 1 (two tokens, D = 2, a nonzero row 0).
   */
  @Test
  void ignoreIndexByHand() {
    float[] grad = new float[4];
    LossResult r = FusedLoss.forwardBackward(new float[] {LN3, 0f, 0f, LN3}, 2, new int[] {1, 0},
        new int[] {0, 2}, new float[] {2f},
        LossSpec.builder().ignoreIndex(1).normalization(Normalization.TOKENS).build(), grad);
    assertEquals(1, r.stats().tokenCount(0));
    assertEquals(1.3862943611198906, r.stats().loss(0), TOL);
    assertEquals(2 * 1.3862943611198906, r.total(), TOL);
    assertGrad(new double[] {0, 0, -1.5, 1.5}, grad);
  }
}
