package dev.reweigh.weighting;

import static dev.reweigh.weighting.Assertions2.assertArrayClose;
import static dev.reweigh.weighting.Assertions2.assertIae;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class KlDroTest {

  @Test
  void byHand() {
    // l = (0, ln 2, ln 3), r = 1 -> exp = (1, 2, 3) / 6.
    assertArrayClose(
        new double[] {1.0 / 6, 2.0 / 6, 3.0 / 6},
        KlDro.weights(new double[] {0, Math.log(2), Math.log(3)}, 1.0),
        1e-15);
    // r = 0.5 squares the ratios: (1, 4, 9) / 14.
    assertArrayClose(
        new double[] {1.0 / 14, 4.0 / 14, 9.0 / 14},
        KlDro.weights(new double[] {0, Math.log(2), Math.log(3)}, 0.5),
        1e-15);
  }

  @Test
  void stableForTinyTemperatureAndHugeLosses() {
    // l / r overflows to infinity here; the max-shifted form does not.
    double[] w = KlDro.weights(new double[] {1e308, 1.7e308, 1.7e308}, 1e-300);
    assertArrayClose(new double[] {0, 0.5, 0.5}, w, 0);
    double[] tiny = KlDro.weights(new double[] {1.0, 1.0 + 1e-9, 0.0}, Double.MIN_VALUE);
    assertArrayClose(new double[] {0, 1, 0}, tiny, 0);
    // Very large r: uniform.
    assertArrayClose(new double[] {0.5, 0.5}, KlDro.weights(new double[] {1, 2}, 1e300), 1e-15);
  }

  @Test
  void properties() {
    Random rnd = new Random(9);
    for (int t = 0; t < 200; t++) {
      int n = 1 + rnd.nextInt(50);
      double[] l = Assertions2.randomLosses(rnd, n, 20);
      double r = Math.exp(-5 + 8 * rnd.nextDouble());
      double[] w = KlDro.weights(l, r);
      assertEquals(1.0, Assertions2.sum(w), 1e-12);
      int[] p = Assertions2.permutation(rnd, n);
      assertArrayClose(Assertions2.permute(w, p), KlDro.weights(Assertions2.permute(l, p), r), 1e-15);
      // Shift invariance and joint scale invariance: softmax((l + c) / r) = softmax(l / r),
      // softmax(c l / (c r)) = softmax(l / r).
      double[] shifted = l.clone();
      double[] scaled = l.clone();
      for (int i = 0; i < n; i++) {
        shifted[i] += 3.0;
        scaled[i] *= 4.0;
      }
      assertArrayClose(w, KlDro.weights(shifted, r), 1e-12);
      assertArrayClose(w, KlDro.weights(scaled, 4.0 * r), 1e-12);
      // Monotone: a larger loss never gets a smaller weight.
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          if (l[i] < l[j]) {
            assertTrue(w[i] <= w[j]);
          }
        }
      }
    }
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
