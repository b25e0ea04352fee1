package dev.reweigh.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.FusedLoss;
import dev.reweigh.PolicyLoss;
import dev.reweigh.PolicyResult;
import dev.reweigh.PolicySpec;
import dev.reweigh.SampleStats;
import dev.reweigh.TokenLoss;
import dev.reweigh.weighting.PolicyGradient;
import dev.reweigh.weighting.TokenObjective;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@link TorchTokenLoss#backward} equals {@link TokenLoss#backward} on the same heap data (row
 * weights as [rows] or [B, T] tensors), and rejects bad row weights naming the argument.
 */
class TorchTokenLossTest {
  private static final int B = 2;
  private static final int T = 5;
  private static final int V = 11;

  private static long[] labels() {
    long[] y = new long[B * T];
    for (int r = 0; r < y.length; r++) {
      y[r] = r % T == 0 ? -100 : (r * 7) % V;
    }
    return y;
  }

  @Test
  void tensorPathEqualsHeapPath() {
    SplittableRandom rnd = new SplittableRandom(3);
    float[] z = Tensors.randomLogits(rnd, B * T * V, 2.0);
    float[] w = new float[B * T];
    float[] beta = new float[B * T];
    for (int r = 0; r < w.length; r++) {
      w[r] = (float) (rnd.nextDouble() * 4 - 2);
      beta[r] = (float) (rnd.nextDouble() - 0.5);
    }
    long[] y = labels();
    int[] offsets = {0, T, 2 * T};
    SampleStats st = FusedLoss.forward(z, V, Tensors.toInts(y), offsets, TokenLoss.objectiveSpec());
    float[] want = new float[z.length];
    TokenLoss.backward(z, V, Tensors.toInts(y), offsets, st, TokenLoss.unitCoefficients(B), w, beta,
        TokenLoss.objectiveSpec(), want);

    TorchBatch batch = TorchBatch.padded(Tensors.floats(z, B, T, V), Tensors.longs(y, B, T));
    TorchStats tst = TorchLoss.forward(batch, TokenLoss.objectiveSpec());
    Tensor grad = Tensors.floats(new float[z.length], B, T, V);
    TorchTokenLoss.backward(batch, tst, Tensors.floats(new float[] {1f, 1f}, B),
        Tensors.floats(w, B, T), Tensors.floats(beta, B * T), TokenLoss.objectiveSpec(), grad);
    assertArrayEquals(want, Tensors.toFloats(grad), 0f, "[B, T] and [rows] row tensors");
  }

  /**
   * {@link TorchTokenLoss#policyStep} (one pass) and {@link TorchTokenLoss#step} (two-phase, with
   * {@code PolicyGradient.grpo}) leave the same gradient on a leaf's {@code grad()}.
   */
  @Test
  void policyStepEqualsTwoPhaseStep() {
    SplittableRandom rnd = new SplittableRandom(5);
    float[] z = Tensors.randomLogits(rnd, B * T * V, 2.0);
    long[] y = labels();
    int[] offsets = {0, T, 2 * T};
    SampleStats st = FusedLoss.forward(z, V, Tensors.toInts(y), offsets, TokenLoss.objectiveSpec());
    float[] logp = st.rowLogp();
    float[] oldLogp = new float[B * T];
    for (int r = 0; r < oldLogp.length; r++) {
      oldLogp[r] = logp[r] + (float) (0.8 * rnd.nextDouble() - 0.4); // clipped on both sides
    }
    double[] adv = {0.7, -0.7};
    boolean[] counted = PolicyGradient.countedRows(Tensors.toInts(y), -100);
    TokenObjective f = PolicyGradient.grpo(logp, oldLogp, null, offsets, counted, adv, 0.2, 0,
        PolicyGradient.Level.SEQUENCE);

    Tensor twoLeaf = Tensors.floats(z, B, T, V).requires_grad_(true);
    TorchBatch two = TorchBatch.padded(twoLeaf, Tensors.longs(y, B, T));
    TorchTokenLoss.step(two, TorchLoss.forward(two, TokenLoss.objectiveSpec()), f.rowWeights(),
        null, false);
    Tensor oneLeaf = Tensors.floats(z, B, T, V).requires_grad_(true);
    TorchBatch one = TorchBatch.padded(oneLeaf, Tensors.longs(y, B, T));
    PolicyResult res = TorchTokenLoss.policyStep(one, TokenLoss.objectiveSpec(),
        PolicySpec.grpo(0.2, 0, PolicyGradient.Level.SEQUENCE), oldLogp,
        PolicyGradient.rowAdvantages(adv, offsets), null, null, false);
    assertEquals(f.value(), res.objective(), 1e-6);
    assertTrue(res.clippedBelow() > 0 && res.clippedAbove() > 0,
        "below " + res.clippedBelow() + ", above " + res.clippedAbove());
    assertArrayEquals(Tensors.toFloats(twoLeaf.grad()), Tensors.toFloats(oneLeaf.grad()), 1e-6f);
  }

  @Test
  void badRowWeightsAreRejected() {
    SplittableRandom rnd = new SplittableRandom(4);
    float[] z = Tensors.randomLogits(rnd, B * T * V, 1.0);
    TorchBatch batch = TorchBatch.padded(Tensors.floats(z, B, T, V), Tensors.longs(labels(), B, T));
    TorchStats tst = TorchLoss.forward(batch, TokenLoss.objectiveSpec());
    Tensor ones = Tensors.floats(new float[] {1f, 1f}, B);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TorchTokenLoss.backward(batch, tst, ones, Tensors.floats(new float[3], 3), null,
            TokenLoss.objectiveSpec(), null));
    assertTrue(e.getMessage().contains("rowWeights has 3 elements"), e.getMessage());
    float[] w = new float[B * T];
    w[2] = Float.NaN; // row 2 is counted: the kernel names it
    e = assertThrows(IllegalArgumentException.class,
        () -> TorchTokenLoss.backward(batch, tst, ones, Tensors.floats(w, B * T), null,
            TokenLoss.objectiveSpec(), null));
    assertTrue(e.getMessage().contains("rowWeights[2]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> TorchTokenLoss.step(batch, tst, w, null, true));
    assertTrue(e.getMessage().contains("logits does not require grad"), e.getMessage());
  }
}
