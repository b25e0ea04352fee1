package dev.reweigh.weighting;

import static dev.reweigh.testkit.Rejects.assertIae;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.testkit.Close;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KlDroTest {

  @Test
  void byHand() {
    // l = (0, ln 2, ln 3), r = 1 -> exp = (1, 2, 3) / 6.
    Close.arrays(
        new double[] {1.0 / 6, 2.0 / 6, 3.0 / 6},
        KlDro.weights(new double[] {0, Math.log(2), Math.log(3)}, 1.0),
        1e-15);
    // r = 0.5 squares the ratios: (1, 4, 9) / 14.
    Close.arrays(
        new double[] {1.0 / 14, 4.0 / 14, 9.0 / 14},
        KlDro.weights(new double[] {0, Math.log(2), Math.log(3)}, 0.5),
        1e-15);
  }

  @Test
  void stableForTinyTemperatureAndHugeLosses() {
    // l / r overflows to infinity here; the max-shifted form does not.
    double[] w = KlDro.weights(new double[] {1e308, 1.7e308, 1.7e308}, 1e-300);
    Close.arrays(new double[] {0, 0.5, 0.5}, w, 0);
    double[] tiny = KlDro.weights(new double[] {1.0, 1.0 + 1e-9, 0.0}, Double.MIN_VALUE);
    Close.arrays(new double[] {0, 1, 0}, tiny, 0);
    // Very large r: uniform.
    Close.arrays(new double[] {0.5, 0.5}, KlDro.weights(new double[] {1, 2}, 1e300), 1e-15);
  }

  @Test
  void properties() {
    Assertions2.randomTrials(9, 200, 50, r -> r.nextDouble() * 20, (t, rnd, l) -> {
      int n = l.length;
      double r = Math.exp(-5 + 8 * rnd.nextDouble());
      double[] w = KlDro.weights(l, r);
      assertEquals(1.0, Assertions2.sum(w), 1e-12);
      Assertions2.assertPermutationEquivariant(rnd, l, w, x -> KlDro.weights(x, r), 1e-15);
      // Shift invariance and joint scale invariance: softmax((l + c) / r) = softmax(l / r),
      // softmax(c l / (c r)) = softmax(l / r).
      double[] shifted = l.clone();
      double[] scaled = l.clone();
      for (int i = 0; i < n; i++) {
        shifted[i] += 3.0;
        scaled[i] *= 4.0;
      }
      Close.arrays(w, KlDro.weights(shifted, r), 1e-12);
      Close.arrays(w, KlDro.weights(scaled, 4.0 * r), 1e-12);
      // Monotone: a larger loss never gets a smaller weight.
      Assertions2.assertMonotone(l, w, true);
    });
  }

  @Test
  void weightsAreTheGradientOfTheRobustLoss() {
    // By hand: l = (0, ln 3), r = 1 -> F = ln((1 + 3) / 2) = ln 2.
    assertEquals(Math.log(2), KlDro.robustLoss(new double[] {0, Math.log(3)}, 1.0), 1e-15);
    Random rnd = new Random(12);
    double eps = 1e-6;
    for (double r : new double[] {0.3, 1.0, 5.0}) {
      double[] l = Assertions2.randomLosses(rnd, 9, 4);
      double[] w = KlDro.weights(l, r);
      double F = KlDro.robustLoss(l, r);
      double mean = Assertions2.sum(l) / l.length;
      double max = java.util.Arrays.stream(l).max().getAsDouble();
      assertTrue(F >= mean - 1e-12 && F <= max + 1e-12, "mean(l) <= F <= max(l)");
      for (int i = 0; i < l.length; i++) {
        double[] up = l.clone();
        double[] down = l.clone();
        up[i] += eps;
        down[i] -= eps;
        double fd = (KlDro.robustLoss(up, r) - KlDro.robustLoss(down, r)) / (2 * eps);
        assertEquals(w[i], fd, 1e-8, "dF/dl_" + i + " at r = " + r);
      }
    }
    // Stable where exp(l / r) overflows: F = 1e300 + 1e-300 * ln((1 + 0) / 2), which is 1e300.
    assertEquals(1e300, KlDro.robustLoss(new double[] {1e300, 0}, 1e-300), 0);
  }

  @Test
  void invalidInput() {
    assertIae(() -> KlDro.weights(new double[] {1, -2}, 1), "losses[1] = -2.0", "negative");
    assertIae(() -> KlDro.weights(new double[] {Double.NaN}, 1), "losses[0] = NaN");
    assertIae(() -> KlDro.weights(new double[0], 1), "losses is empty");
    assertIae(() -> KlDro.weights(new double[] {1}, 0), "temperature = 0.0", "> 0");
    assertIae(() -> KlDro.weights(new double[] {1}, Double.NaN), "temperature = NaN");
    assertIae(
        () -> KlDro.weights(new double[] {1}, Double.POSITIVE_INFINITY), "temperature = Infinity");
  }
}
