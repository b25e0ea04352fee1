package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Numbers worked by hand from the definitions in docs/design.md §3. */
class HandWorkedTest {

  /**
   * Two classes, logits [0, ln 3]: p = [1/4, 3/4]. Target 1: logp = ln 0.75, loss = -ln 0.75 =
   * 0.2876821, entropy = -(0.25 ln 0.25 + 0.75 ln 0.75) = 0.5623351, lse = ln 4 = 1.3862944.
   * Gradient of the mean loss (one sample, coefficient 1, WEIGHT_SUM): p - onehot = [0.25,
   * -0.25].
   */
  @Test
  void twoClassRow() {
    float[] logits = {0f, (float) Math.log(3)};
    int[] targets = {1};
    int[] offsets = {0, 1};
    float[] grad = new float[2];
    LossResult r = FusedLoss.forwardBackward(
        logits, 2, targets, offsets, new float[] {1f}, LossSpec.defaults(), grad);
    SampleStats st = r.stats();
    assertEquals(0.2876821, st.loss(0), 1e-6);
    assertEquals(Math.log(0.75), st.logProbSum(0), 1e-6);
    assertEquals(0.5623351, st.meanEntropy(0), 1e-6);
    assertEquals(1.3862944, st.rowLse()[0], 1e-6);
    assertEquals(1, st.tokenCount(0));
    assertEquals(0.2876821, r.total(), 1e-6);
    assertEquals(0.25, grad[0], 1e-6);
    assertEquals(-0.25, grad[1], 1e-6);
  }

  /**
   * Label smoothing 0.1 on the same row: rowLoss = 0.9 * 0.2876821 + 0.1 * (ln 4 - mean(0, ln 3))
   * = 0.2589139 + 0.1 * (1.3862944 - 0.5493061) = 0.3426127. Gradient: p - 0.9 onehot - 0.05 =
   * [0.2, -0.2].
   */
  @Test
  void labelSmoothing() {
    float[] logits = {0f, (float) Math.log(3)};
    float[] grad = new float[2];
    LossResult r = FusedLoss.forwardBackward(logits, 2, new int[] {1}, new int[] {0, 1},
        new float[] {1f}, LossSpec.builder().labelSmoothing(0.1f).build(), grad);
    assertEquals(0.3426127, r.total(), 1e-6);
    assertEquals(0.2, grad[0], 1e-6);
    assertEquals(-0.2, grad[1], 1e-6);
  }

  /**
   * Two samples, weights 3 and 1, SUM reduction, WEIGHT_SUM: sample 0 has rows {0, 1} with
   * uniform logits over 4 classes (loss ln 4 each, sum 2 ln 4), sample 1 one ignored row and one
   * uniform row (ln 4). total = (3 * 2 ln 4 + 1 * ln 4) / 4 = 7/4 ln 4 = 2.4260151.
   */
  @Test
  void weightedSumOfTwoSamples() {
    float[] logits = new float[4 * 4];
    int[] targets = {0, 3, -100, 2};
    int[] offsets = {0, 2, 4};
    LossResult r = FusedLoss.forwardBackward(logits, 4, targets, offsets, new float[] {3f, 1f},
        LossSpec.builder().tokenReduction(TokenReduction.SUM).build(), new float[16]);
    assertEquals(2 * Math.log(4), r.stats().loss(0), 1e-6);
    assertEquals(Math.log(4), r.stats().loss(1), 1e-6);
    assertEquals(1, r.stats().tokenCount(1));
    assertEquals(7.0 / 4.0 * Math.log(4), r.total(), 1e-6);
  }

  /** A masked vocabulary: -inf logits with eps = 0 give finite statistics and zero gradient. */
  @Test
  void maskedVocabularyStaysFinite() {
    float ninf = Float.NEGATIVE_INFINITY;
    float[] logits = {0f, ninf, (float) Math.log(3), ninf};
    float[] grad = new float[4];
    LossResult r = FusedLoss.forwardBackward(logits, 4, new int[] {2}, new int[] {0, 1},
        new float[] {1f}, LossSpec.defaults(), grad);
    assertEquals(0.2876821, r.total(), 1e-6);
    assertEquals(0.5623351, r.stats().meanEntropy(0), 1e-6);
    assertEquals(0.25, grad[0], 1e-6);
    assertEquals(0.0, grad[1], 0.0);
    assertEquals(-0.25, grad[2], 1e-6);
    assertEquals(0.0, grad[3], 0.0);
  }
}
