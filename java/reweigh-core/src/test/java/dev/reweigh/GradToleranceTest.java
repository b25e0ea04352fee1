package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.testkit.Close;
import dev.reweigh.testkit.RefOptions;
import dev.reweigh.testkit.Reference64;
import org.junit.jupiter.api.Test;

/**
 * The per-element gradient tolerance of {@link Reference64#gradTolerance} can fail: at V = 32000
 * a 1% error in every non-target element with p below 1e-3 (most of the row, p ~ 1 / V) passes the
 * row-scale bound the grid used to apply (|k| dz'/dz (tol + 1e-6)) but not the bound relative to
 * p, while float32 rounding of the reference gradient itself passes the bound relative to p.
 */
class GradToleranceTest {

  @Test
  void onePercentOnSmallProbabilitiesIsCaughtAtLlamaVocabulary() {
    int vocab = 32000;
    TestBatch b = TestBatch.random(3, 2, vocab, 3.0, false);
    RefOptions o = RefOptions.DEFAULTS;
    Reference64 ref = Reference64.compute(b.logits, vocab, b.targets, b.offsets, b.coefficients, o);
    double tol = FusedLossReferenceTest.statTol(vocab);
    double[] perElement = ref.gradTolerance(tol, FusedLossReferenceTest.GRAD_ULPS, tol + 1e-6);
    double rowScale = ref.gradScale * (tol + 1e-6);

    float[] rounded = new float[ref.grad.length];
    float[] onePercentOff = new float[ref.grad.length];
    int changed = 0;
    for (int r = 0; r < b.rows; r++) {
      for (int v = 0; v < vocab; v++) {
        int i = r * vocab + v;
        rounded[i] = (float) ref.grad[i];
        boolean small =
            v != b.targets[r] && ref.grad[i] != 0 && Math.abs(ref.grad[i]) < 1e-3 * ref.gradScale;
        onePercentOff[i] = (float) (small ? ref.grad[i] * 1.01 : ref.grad[i]);
        changed += small ? 1 : 0;
      }
    }
    assertTrue(changed > vocab, "most of two rows perturbed: " + changed);
    int rowScaleMisses = 0;
    int perElementMisses = 0;
    for (int i = 0; i < rounded.length; i++) {
      assertTrue(Close.close(ref.grad[i], rounded[i], perElement[i], 0), "float32 rounding, " + i);
      rowScaleMisses += Close.close(ref.grad[i], onePercentOff[i], rowScale, 0) ? 0 : 1;
      perElementMisses += Close.close(ref.grad[i], onePercentOff[i], perElement[i], 0) ? 0 : 1;
    }
    assertFalse(rowScaleMisses > 0, "premise: the row-scale bound lets the 1% error pass");
    assertTrue(perElementMisses > changed / 2,
        perElementMisses + " of " + changed + " perturbed elements caught");
  }
}
