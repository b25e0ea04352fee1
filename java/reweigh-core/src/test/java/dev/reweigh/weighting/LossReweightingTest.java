package dev.reweigh.weighting;

import static dev.reweigh.testkit.Rejects.assertIae;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.testkit.Close;
import dev.reweigh.weighting.LossReweighting.Strategy;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LossReweightingTest {

  /** docs/methods.md §5, the worked example. */
  @Test
  void methodsExampleLinUpper() {
    double[] losses = {2, 3, 4, 6};
    Close.arrays(new double[] {-1, -0.5, 0, 1}, LossReweighting.normalizedLosses(losses), 1e-15);
    double[] w = LossReweighting.weights(losses, Strategy.LIN_UPPER, 1.0);
    Close.arrays(new double[] {0.123681, 0.203916, 0.336201, 0.336201}, w, 5e-7);
    assertEquals(4.221123, LossReweighting.weightedLoss(losses, w), 5e-7);
  }

  @Test
  void quadraticAndExtremesByHand() {
    double[] losses = {2, 3, 4, 6}; // h = (-1, -0.5, 0, 1)
    // QUADRATIC f = (0, 0.75, 1, 0), r = 1.
    double[] eq = {1, Math.exp(0.75), Math.E, 1};
    double zq = Assertions2.sum(eq);
    Close.arrays(
        new double[] {eq[0] / zq, eq[1] / zq, eq[2] / zq, eq[3] / zq},
        LossReweighting.weights(losses, Strategy.QUADRATIC, 1.0),
        1e-15);
    // EXTREMES f = (1, 0.5, 0, 1), r = 0.5 -> exp(2f) = (e^2, e, 1, e^2).
    double[] ee = {Math.exp(2), Math.E, 1, Math.exp(2)};
    double ze = Assertions2.sum(ee);
    Close.arrays(
        new double[] {ee[0] / ze, ee[1] / ze, ee[2] / ze, ee[3] / ze},
        LossReweighting.weights(losses, Strategy.EXTREMES, 0.5),
        1e-15);
    assertEquals(1.0, Strategy.QUADRATIC.defaultTemperature(), 0);
    assertEquals(0.4, Strategy.EXTREMES.defaultTemperature(), 0);
    assertEquals(0.4, Strategy.LIN_UPPER.defaultTemperature(), 0);
  }

  @Test
  void equalLossesGiveUniformWeights() {
    for (Strategy s : Strategy.values()) {
      Close.arrays(
          new double[] {0.25, 0.25, 0.25, 0.25},
          LossReweighting.weights(new double[] {1.7, 1.7, 1.7, 1.7}, s, 0.01),
          0);
      Close.arrays(new double[] {1.0}, LossReweighting.weights(new double[] {3}, s, 1), 0);
    }
  }

  @Test
  void propertiesOnRandomBatches() {
    Assertions2.randomTrials(17, 200, 64, r -> r.nextDouble() * 10, (t, rnd, l) -> {
      int n = l.length;
      Strategy s = Strategy.values()[t % 3];
      double r = 0.05 + 2 * rnd.nextDouble();
      double[] w = LossReweighting.weights(l, s, r);
      assertEquals(1.0, Assertions2.sum(w), 1e-12, "weights sum to 1");
      double[] h = LossReweighting.normalizedLosses(l);
      for (double v : h) {
        assertTrue(v >= -1 - 1e-12 && v <= 1 + 1e-12, "h in [-delta, delta]");
      }
      // Permutation equivariance.
      Assertions2.assertPermutationEquivariant(
          rnd, l, w, x -> LossReweighting.weights(x, s, r), 1e-15);
      // Invariant to an affine change of the losses (h depends only on the normalised rank).
      double[] affine = new double[n];
      for (int i = 0; i < n; i++) {
        affine[i] = 3 * l[i] + 5;
      }
      if (n > 1) {
        Close.arrays(w, LossReweighting.weights(affine, s, r), 1e-12);
      }
      // LIN_UPPER: non-decreasing in the loss.
      if (s == Strategy.LIN_UPPER) {
        Assertions2.assertMonotone(l, w, true);
      }
    });
  }

  @Test
  void warmupGivesUniformThenReweights() {
    double[] l = {2, 3, 4, 6};
    Close.arrays(
        new double[] {0.25, 0.25, 0.25, 0.25},
        LossReweighting.weights(l, Strategy.LIN_UPPER, 1.0, 9, 10),
        0);
    Close.arrays(
        LossReweighting.weights(l, Strategy.LIN_UPPER, 1.0),
        LossReweighting.weights(l, Strategy.LIN_UPPER, 1.0, 10, 10),
        0);
    assertIae(() -> LossReweighting.weights(l, Strategy.LIN_UPPER, 1.0, -1, 10), "step = -1");
    assertIae(
        () -> LossReweighting.weights(new double[] {-1}, Strategy.LIN_UPPER, 1.0, 0, 10),
        "losses[0]");
  }

  @Test
  void dataParallelSlicesAddUpToTheGlobalBatch() {
    double[] global = {2, 3, 4, 6, 1, 9};
    double[] all = LossReweighting.weights(global, Strategy.EXTREMES, 0.4);
    double[] rank0 = LossReweighting.localWeights(global, 0, 3, Strategy.EXTREMES, 0.4);
    double[] rank1 = LossReweighting.localWeights(global, 3, 3, Strategy.EXTREMES, 0.4);
    Close.arrays(Arrays.copyOfRange(all, 0, 3), rank0, 0);
    Close.arrays(Arrays.copyOfRange(all, 3, 6), rank1, 0);
    assertEquals(1.0, Assertions2.sum(rank0) + Assertions2.sum(rank1), 1e-15);
    // Not the same as weighting each rank's samples alone.
    assertTrue(
        Math.abs(LossReweighting.weights(new double[] {2, 3, 4}, Strategy.EXTREMES, 0.4)[0] - rank0[0])
            > 1e-3);
    assertIae(
        () -> LossReweighting.localWeights(global, 4, 3, Strategy.EXTREMES, 0.4), "slice");
  }

  @Test
  void invalidInput() {
    assertIae(() -> LossReweighting.weights(new double[] {1, -1}, Strategy.QUADRATIC, 1), "losses[1]");
    assertIae(
        () -> LossReweighting.weights(new double[] {1, Double.NaN}, Strategy.QUADRATIC, 1),
        "losses[1] = NaN");
    assertIae(() -> LossReweighting.weights(new double[0], Strategy.QUADRATIC, 1), "losses is empty");
    assertIae(() -> LossReweighting.weights(new double[] {1}, Strategy.QUADRATIC, 0), "temperature");
    assertIae(() -> LossReweighting.weights(new double[] {1}, Strategy.QUADRATIC, -1), "temperature");
    assertIae(() -> LossReweighting.weights(new double[] {1}, null, 1), "strategy");
  }
}
