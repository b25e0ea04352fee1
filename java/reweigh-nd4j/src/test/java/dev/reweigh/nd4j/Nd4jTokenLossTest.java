package dev.reweigh.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.FusedLoss;
import dev.reweigh.LossSpec;
import dev.reweigh.SampleStats;
import dev.reweigh.TokenLoss;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J token adapter against the core's heap path on the same numbers (same kernels: equal
 * bits unless the adapter hands them a wrong address, shape or layout), and against a float64
 * gradient of sum_r w_r (-logp_r) + beta_r H_r written here from the softmax.
 */
class Nd4jTokenLossTest {
  private static final int B = 2;
  private static final int T = 4;
  private static final int V = 23;
  private static final LossSpec SPEC = TokenLoss.objectiveSpec();

  private final SplittableRandom rnd = new SplittableRandom(31);
  private final float[] z = new float[B * T * V];
  private final int[] y = {-100, 3, 7, 22, -100, -100, 0, 11};
  private final int[] off = {0, T, 2 * T};
  private final float[] w = new float[B * T];
  private final float[] beta = new float[B * T];

  Nd4jTokenLossTest() {
    for (int i = 0; i < z.length; i++) {
      z[i] = (float) ((rnd.nextDouble() * 2 - 1) * 5);
    }
    for (int r = 0; r < w.length; r++) {
      w[r] = (float) (rnd.nextDouble() * 2 - 1); // signed, as GRPO's negative advantages give
      beta[r] = (float) (rnd.nextDouble() * 0.2 - 0.1);
    }
  }

  private Nd4jBatch batch(INDArray logits) {
    return Nd4jBatch.padded(logits, Nd4j.createFromArray(y).reshape('c', B, T));
  }

  @Test
  void arraysHeapAndInPlaceEqualTheHeapPathAndFloat64() {
    float[] want = new float[z.length];
    SampleStats ref = FusedLoss.forward(z, V, y, off, SPEC);
    TokenLoss.backward(z, V, y, off, ref, TokenLoss.unitCoefficients(B), w, beta, SPEC, want);
    checkFloat64(want);

    INDArray logits = Nd4j.createFromArray(z).reshape('c', B, T, V);
    Nd4jBatch batch = batch(logits);
    Nd4jStats st = Nd4jLoss.forward(batch, SPEC);
    INDArray grad = Nd4j.create(DataType.FLOAT, B, T, V);
    // [B, T] row arrays and FLOAT [samples] coefficients.
    Nd4jTokenLoss.backward(batch, st, Nd4j.createFromArray(TokenLoss.unitCoefficients(B)),
        Nd4j.createFromArray(w).reshape('c', B, T), Nd4j.createFromArray(beta).reshape('c', B, T),
        SPEC, grad);
    assertArrayEquals(want, grad.reshape(-1).toFloatVector(), "[B, T] arrays");
    grad.assign(Float.NaN);
    Nd4jTokenLoss.backward(batch, st, TokenLoss.unitCoefficients(B), w, beta, SPEC, grad);
    assertArrayEquals(want, grad.reshape(-1).toFloatVector(), "heap arrays");
    Nd4jTokenLoss.backward(batch, st, TokenLoss.unitCoefficients(B), w, beta, SPEC, null);
    assertArrayEquals(want, logits.reshape(-1).toFloatVector(), "in place");
  }

  @Test
  void withoutEntropyWeightsTheEntropyTermIsAbsent() {
    float[] want = new float[z.length];
    SampleStats ref = FusedLoss.forward(z, V, y, off, SPEC);
    TokenLoss.backward(z, V, y, off, ref, TokenLoss.unitCoefficients(B), w, null, SPEC, want);
    Nd4jBatch batch = batch(Nd4j.createFromArray(z).reshape('c', B, T, V));
    INDArray grad = Nd4j.create(DataType.FLOAT, B, T, V);
    Nd4jTokenLoss.backward(batch, Nd4jLoss.forward(batch, SPEC), TokenLoss.unitCoefficients(B),
        w, null, SPEC, grad);
    assertArrayEquals(want, grad.reshape(-1).toFloatVector());
  }

  @Test
  void badRowArraysNameTheArgumentAndIndex() {
    Nd4jBatch batch = batch(Nd4j.createFromArray(z).reshape('c', B, T, V));
    Nd4jStats st = Nd4jLoss.forward(batch, SPEC);
    float[] one = TokenLoss.unitCoefficients(B);
    float[] nan = w.clone();
    nan[5] = Float.NaN;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Nd4jTokenLoss.backward(batch, st, one, nan, null, SPEC, null));
    assertTrue(e.getMessage().contains("rowWeights[5]"), e.getMessage());
    float[] inf = beta.clone();
    inf[1] = Float.POSITIVE_INFINITY;
    e = assertThrows(IllegalArgumentException.class,
        () -> Nd4jTokenLoss.backward(batch, st, one, w, inf, SPEC, null));
    assertTrue(e.getMessage().contains("rowEntropyWeights[1]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Nd4jTokenLoss.backward(batch, st, one, new float[3], null, SPEC, null));
    assertTrue(e.getMessage().contains("rowWeights.length = 3"), e.getMessage());
    // A NaN on a counted row (6) of an array argument: the native check names it. Ignored rows
    // (5) of an array are never read (the heap path above rejects them in Java).
    float[] nanCounted = w.clone();
    nanCounted[6] = Float.NaN;
    INDArray nanArray = Nd4j.createFromArray(nanCounted);
    e = assertThrows(IllegalArgumentException.class, () -> Nd4jTokenLoss.backward(batch, st,
        Nd4j.createFromArray(one), nanArray, null, SPEC, null));
    assertTrue(e.getMessage().contains("rowWeights[6]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Nd4jTokenLoss.backward(batch, st,
        Nd4j.createFromArray(one), Nd4j.createFromArray(new float[7]), null, SPEC, null));
    assertTrue(e.getMessage().contains("rowWeights has 7 elements"), e.getMessage());
  }

  /** g_v = w (p_v - [v == y]) - beta p_v (log p_v + H) on counted rows, 0 on ignored ones. */
  private void checkFloat64(float[] got) {
    for (int r = 0; r < y.length; r++) {
      RowSoftmax64 row = RowSoftmax64.of(z, r, V);
      double lse = row.lse;
      double h = row.entropy;
      for (int v = 0; v < V; v++) {
        double lp = z[r * V + v] - lse;
        double p = Math.exp(lp);
        double want = y[r] < 0 ? 0
            : w[r] * (p - (v == y[r] ? 1 : 0)) - beta[r] * p * (lp + h);
        assertTrue(Math.abs(got[r * V + v] - want) <= 1e-6, "row " + r + " column " + v + ": "
            + got[r * V + v] + " vs float64 " + want);
      }
    }
  }
}
