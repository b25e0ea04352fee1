package dev.reweigh.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.PolicyLoss;
import dev.reweigh.PolicyResult;
import dev.reweigh.PolicySpec;
import dev.reweigh.TokenLoss;
import dev.reweigh.weighting.PolicyGradient;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Nd4jTokenLoss#policyStep} (the one-pass GRPO step on ND4J arrays) against the core's heap
 * path {@link PolicyLoss#forwardBackward} on the same numbers (same kernels: equal bits unless
 * the adapter hands them a wrong address, shape or layout), and against a float64 step written
 * here from the softmax: GRPO with the k3 KL term at sequence level plus an entropy term,
 * F = -sum_r n_r [min(rho A, clip(rho) A) - kl (e^q - q - 1)] + sum_r beta_r H_r.
 */
class Nd4jPolicyStepTest {
  private static final int B = 3;
  private static final int T = 6;
  private static final int V = 29;
  private static final double EPS = 0.2;
  private static final double KL = 0.05;
  private static final PolicySpec GRPO = PolicySpec.grpo(EPS, KL, PolicyGradient.Level.SEQUENCE);

  private final float[] z = new float[B * T * V];
  private final int[] y = new int[B * T];
  private final int[] off = {0, T, 2 * T, 3 * T};
  private final float[] oldLogp = new float[B * T];
  private final float[] adv = new float[B * T];
  private final float[] ref = new float[B * T];
  private final float[] beta = new float[B * T];
  private final double[] logp64 = new double[B * T];
  private final double[] h64 = new double[B * T];

  Nd4jPolicyStepTest() {
    SplittableRandom rnd = new SplittableRandom(17);
    for (int i = 0; i < z.length; i++) {
      z[i] = (float) ((rnd.nextDouble() * 2 - 1) * 4);
    }
    double[] ratios = {0.5, 0.95, 1.5, 1.05};
    double[] sampleAdv = {1.0, -0.5, -0.5};
    for (int r = 0; r < y.length; r++) {
      boolean prompt = r % T < 2;
      y[r] = prompt ? -100 : rnd.nextInt(V);
      softmaxStats(r);
      oldLogp[r] = prompt ? Float.NaN : (float) (logp64[r] - Math.log(ratios[r % 4]));
      adv[r] = (float) sampleAdv[r / T];
      ref[r] = prompt ? Float.NaN : (float) (logp64[r] + 0.2 * rnd.nextDouble() - 0.1);
      beta[r] = prompt ? 0f : (float) (0.02 * rnd.nextDouble() - 0.01);
    }
  }

  /** logp64 and h64 of row r in float64. */
  private void softmaxStats(int r) {
    RowSoftmax64 row = RowSoftmax64.of(z, r, V);
    double lse = row.lse;
    double h = row.entropy;
    logp64[r] = y[r] < 0 ? 0 : z[r * V + y[r]] - lse;
    h64[r] = h;
  }

  private Nd4jBatch batch(INDArray logits) {
    return Nd4jBatch.padded(logits, Nd4j.createFromArray(y).reshape('c', B, T));
  }

  private static INDArray bt(float[] a) {
    return Nd4j.createFromArray(a).reshape('c', B, T);
  }

  @Test
  void arraysHeapAndInPlaceEqualTheHeapPathAndFloat64() {
    float[] want = new float[z.length];
    PolicyResult heap = PolicyLoss.forwardBackward(z, V, y, off, TokenLoss.objectiveSpec(), GRPO,
        oldLogp, adv, ref, beta, want);
    assertTrue(heap.clippedBelow() > 0 && heap.clippedAbove() > 0, "both clip sides taken");
    checkFloat64(heap, want);

    INDArray logits = Nd4j.createFromArray(z).reshape('c', B, T, V);
    Nd4jBatch batch = batch(logits);
    INDArray grad = Nd4j.create(DataType.FLOAT, B, T, V);
    PolicyResult arrays = Nd4jTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(), GRPO,
        bt(oldLogp), bt(adv), bt(ref), bt(beta), grad);
    assertArrayEquals(want, grad.reshape(-1).toFloatVector(), "[B, T] arrays: gradient");
    assertSame(heap, arrays, "[B, T] arrays");
    grad.assign(Float.NaN);
    PolicyResult heapArrays = Nd4jTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(), GRPO,
        oldLogp, adv, ref, beta, grad);
    assertArrayEquals(want, grad.reshape(-1).toFloatVector(), "heap arrays: gradient");
    assertSame(heap, heapArrays, "heap arrays");
    PolicyResult inPlace = Nd4jTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(), GRPO,
        Nd4j.createFromArray(oldLogp), Nd4j.createFromArray(adv), Nd4j.createFromArray(ref),
        Nd4j.createFromArray(beta), null);
    assertArrayEquals(want, logits.reshape(-1).toFloatVector(), "in place: gradient");
    assertSame(heap, inPlace, "in place");
  }

  @Test
  void badRowArraysAreNamed() {
    Nd4jBatch batch = batch(Nd4j.createFromArray(z).reshape('c', B, T, V));
    INDArray grad = Nd4j.create(DataType.FLOAT, B, T, V);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Nd4jTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(), GRPO, bt(oldLogp),
            Nd4j.createFromArray(adv).castTo(DataType.DOUBLE), bt(ref), null, grad));
    assertTrue(e.getMessage().contains("advantages data type DOUBLE"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Nd4jTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(), GRPO, bt(oldLogp),
            bt(adv), null, null, grad));
    assertTrue(e.getMessage().contains("refLogp address is 0"), e.getMessage());
    float[] badAdv = adv.clone();
    badAdv[4] = Float.POSITIVE_INFINITY; // row 4 is counted
    e = assertThrows(IllegalArgumentException.class,
        () -> Nd4jTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(), GRPO, bt(oldLogp),
            bt(badAdv), bt(ref), null, grad));
    assertTrue(e.getMessage().contains("advantages[4] = inf is not finite"), e.getMessage());
  }

  private static void assertSame(PolicyResult want, PolicyResult got, String what) {
    assertArrayEquals(want.rowLogp(), got.rowLogp(), what + ": rowLogp");
    assertArrayEquals(want.rowEntropy(), got.rowEntropy(), what + ": rowEntropy");
    assertArrayEquals(want.rowWeights(), got.rowWeights(), what + ": rowWeights");
    assertArrayEquals(want.rowClipped(), got.rowClipped(), what + ": rowClipped");
    assertEquals(want.objective(), got.objective(), 0.0, what + ": objective");
    assertEquals(want.clippedBelow(), got.clippedBelow(), what + ": clipped below");
    assertEquals(want.clippedAbove(), got.clippedAbove(), what + ": clipped above");
  }

  /**
   * The float64 step: fp32 logp and H agree to a few hundred ulps (1e-5 of 1 + |value|); the
   * gradient's elements w_r (p - onehot) - beta_r p (log p + H) are computed in fp32 from them,
   * so they agree to 1e-5 of the largest |w_r| + |beta_r|, and the objective to 1e-5.
   */
  private void checkFloat64(PolicyResult got, float[] grad) {
    double objective = 0;
    double scale = 0;
    double[] w = new double[y.length];
    for (int s = 0; s < B; s++) {
      int counted = 0;
      for (int r = off[s]; r < off[s + 1]; r++) {
        counted += y[r] < 0 ? 0 : 1;
      }
      for (int r = off[s]; r < off[s + 1]; r++) {
        if (y[r] < 0) {
          continue;
        }
        double n = 1.0 / (counted * (double) B);
        double rho = Math.exp(logp64[r] - oldLogp[r]);
        double unclipped = rho * adv[r];
        double clipped = Math.min(Math.max(rho, 1 - EPS), 1 + EPS) * adv[r];
        double q = ref[r] - logp64[r];
        double term = Math.min(unclipped, clipped) - KL * (Math.exp(q) - q - 1);
        double dterm = (unclipped <= clipped ? unclipped : 0) - KL * (1 - Math.exp(q));
        w[r] = n * dterm;
        objective += -n * term + beta[r] * h64[r];
        scale = Math.max(scale, Math.abs(w[r]) + Math.abs(beta[r]));
        assertEquals(logp64[r], got.rowLogp()[r], 1e-5 * (1 + Math.abs(logp64[r])), "logp " + r);
        assertEquals(h64[r], got.rowEntropy()[r], 1e-5 * (1 + h64[r]), "entropy " + r);
        assertEquals(w[r], got.rowWeights()[r], 1e-5 * Math.abs(w[r]) + 1e-7, "weight " + r);
      }
    }
    assertEquals(objective, got.objective(), 1e-5 * (1 + Math.abs(objective)), "objective");
    for (int r = 0; r < y.length; r++) {
      double lse = y[r] < 0 ? 0 : z[r * V + y[r]] - logp64[r];
      for (int v = 0; v < V; v++) {
        double want = 0;
        if (y[r] >= 0) {
          double lp = z[r * V + v] - lse;
          double p = Math.exp(lp);
          want = w[r] * (p - (v == y[r] ? 1 : 0)) - beta[r] * p * (lp + h64[r]);
        }
        assertEquals(want, grad[r * V + v], 1e-5 * scale + 1e-9, "grad[" + r + "," + v + "]");
      }
    }
  }
}
