package dev.reweigh.weighting;

import static dev.reweigh.testkit.Rejects.assertIae;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.testkit.Close;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IwsiTest {

  private static final double INF = Double.POSITIVE_INFINITY;

  /** docs/methods.md §2, the worked example. */
  @Test
  void methodsExampleDsWeightsAndFilter() {
    double Lv = Iwsi.validMeanLoss(new double[] {2.0, 2.2, 1.8});
    assertEquals(2.0, Lv, 1e-15);
    double[] losses = {1.6, 2.0, 2.5, 3.0, 1.0};
    Close.arrays(
        new double[] {1.25, 1.0, 0.8, 2.0 / 3, 2.0}, Iwsi.naiveWeights(losses, Lv), 1e-12);
    double[] wDS = Iwsi.dsWeights(losses, Lv);
    Close.arrays(new double[] {1.25, 1.0, 1.25, 1.5, 2.0}, wDS, 1e-12);
    assertArrayEquals(new boolean[] {true, true, true, true, false}, Iwsi.keepLowest(wDS, 0.8));
  }

  /**
   * Eq. (8) is the plain mean: skewed sets where the mean differs from the median, the midrange and
   * the mean without the extremes. {1, 2, 6}: 9/3 = 3 (median 2); {0.5, 1, 1.5, 5}: 8/4 = 2 (median
   * 1.25); {0.25, 0.25, 4}: 4.5/3 = 1.5 (median 0.25, midrange 2.125).
   */
  @Test
  void validMeanLossIsThePlainMeanOfSkewedSets() {
    assertEquals(3.0, Iwsi.validMeanLoss(new double[] {1.0, 2.0, 6.0}), 1e-15);
    assertEquals(3.0, Iwsi.validMeanLoss(new double[] {6.0, 1.0, 2.0}), 1e-15);
    assertEquals(2.0, Iwsi.validMeanLoss(new double[] {0.5, 1.0, 1.5, 5.0}), 1e-15);
    assertEquals(1.5, Iwsi.validMeanLoss(new double[] {0.25, 4.0, 0.25}), 1e-15);
    assertEquals(0.7, Iwsi.validMeanLoss(new double[] {0.7}), 0);
    assertEquals(0.0, Iwsi.validMeanLoss(new double[] {0.0, 0.0}), 0);
    // Lv = 3 feeds Eq. (3)/(4): L = 1.6 -> max(3/1.6, 1.6/3) = 1.875.
    Close.arrays(
        new double[] {1.875, 1.2},
        Iwsi.dsWeights(new double[] {1.6, 2.5}, Iwsi.validMeanLoss(new double[] {1.0, 2.0, 6.0})),
        1e-15);
  }

  /** docs/methods.md §2, the IWSI-w example. */
  @Test
  void methodsExampleClippedWeights() {
    Close.arrays(
        new double[] {2.0, 1.0, 0.8, 0.5, 2.0},
        Iwsi.clippedWeights(new double[] {1.0, 2.0, 2.5, 4.0, 0.5}, 2.0, Iwsi.DEFAULT_CLIP),
        1e-12);
  }

  @Test
  void zeroLossGivesInfiniteDsWeightAndIsFiltered() {
    double[] wDS = Iwsi.dsWeights(new double[] {0.0, 1.0, 3.0}, 1.5);
    // Hand: max(1.5/1, 1/1.5) = 1.5; max(1.5/3, 3/1.5) = 2.
    Close.arrays(new double[] {INF, 1.5, 2.0}, wDS, 1e-15);
    assertArrayEquals(new boolean[] {false, true, true}, Iwsi.keepLowest(wDS, 0.5));
    // IWSI-w clips the infinite naive weight at C.
    Close.arrays(
        new double[] {3.0, 1.5, 0.5}, Iwsi.clippedWeights(new double[] {0, 1, 3}, 1.5, 3.0), 0);
  }

  @Test
  void tiePolicyKeepsEveryoneAtSigma() {
    // n = 5, k = 0.4: ceil(2) = 2nd smallest is 1.5; both 1.5's are kept -> 3 of 5.
    double[] wDS = {1.5, 1.0, 1.5, 3.0, 2.0};
    assertArrayEquals(new boolean[] {true, true, true, false, false}, Iwsi.keepLowest(wDS, 0.4));
    // k = 0.3: ceil(1.5) = 2 -> same sigma 1.5.
    assertArrayEquals(new boolean[] {true, true, true, false, false}, Iwsi.keepLowest(wDS, 0.3));
    // k = 0.2: ceil(1) = 1 -> sigma 1.0.
    assertArrayEquals(new boolean[] {false, true, false, false, false}, Iwsi.keepLowest(wDS, 0.2));
    // k = 1 keeps everything, infinities included.
    assertArrayEquals(
        new boolean[] {true, true, true}, Iwsi.keepLowest(new double[] {INF, 1, INF}, 1.0));
  }

  @Test
  void rankIsExactDecimalCeiling() {
    // 0.7 * 10.0 == 7.000000000000001 in binary; the paper's ceil(k n) is 7.
    assertEquals(7, Iwsi.rank(10, 0.7));
    assertEquals(4, Iwsi.rank(5, 0.8));
    assertEquals(1, Iwsi.rank(3, 1e-9));
    assertEquals(3, Iwsi.rank(3, 1.0));
    double[] wDS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    int kept = 0;
    for (boolean b : Iwsi.keepLowest(wDS, 0.7)) {
      kept += b ? 1 : 0;
    }
    assertEquals(7, kept);
  }

  @Test
  void dsWeightIsAtLeastOneAndSymmetricInTheRatio() {
    Random rnd = new Random(11);
    for (int t = 0; t < 200; t++) {
      double Lv = 0.1 + 3 * rnd.nextDouble();
      double L = 0.01 + 5 * rnd.nextDouble();
      double w = Iwsi.dsWeights(new double[] {L}, Lv)[0];
      assertTrue(w >= 1.0, "wDS < 1");
      // Symmetric: swapping L and Lv gives the same weight.
      assertEquals(w, Iwsi.dsWeights(new double[] {Lv}, L)[0], 1e-12 * w);
      // Scale invariance: (c L, c Lv) gives the same weight.
      assertEquals(w, Iwsi.dsWeights(new double[] {7 * L}, 7 * Lv)[0], 1e-12 * w);
    }
  }

  @Test
  void monotoneInTheLossAwayFromLv() {
    double[] losses = {0.25, 0.5, 1.0, 2.0, 4.0, 8.0};
    double[] wDS = Iwsi.dsWeights(losses, 2.0);
    for (int i = 1; i < 4; i++) {
      assertTrue(wDS[i] < wDS[i - 1], "wDS must fall as L approaches Lv from below");
    }
    for (int i = 4; i < losses.length; i++) {
      assertTrue(wDS[i] > wDS[i - 1], "wDS must grow as L moves above Lv");
    }
    double[] clipped = Iwsi.clippedWeights(losses, 2.0, 2.0);
    for (int i = 1; i < losses.length; i++) {
      assertTrue(clipped[i] <= clipped[i - 1], "IWSI-w weight is non-increasing in the loss");
    }
  }

  @Test
  void keepLowestIsPermutationEquivariant() {
    // Weights on a grid of 0.25: many ties.
    Assertions2.randomTrials(5, 50, 40, r -> 1 + r.nextInt(6) * 0.25, (t, rnd, w) -> {
      int n = w.length;
      double k = 0.05 + 0.95 * rnd.nextDouble();
      boolean[] keep = Iwsi.keepLowest(w, k);
      int[] p = Assertions2.permutation(rnd, n);
      boolean[] keepP = Iwsi.keepLowest(Assertions2.permute(w, p), k);
      int kept = 0;
      for (int i = 0; i < n; i++) {
        assertEquals(keep[p[i]], keepP[i]);
        kept += keep[i] ? 1 : 0;
      }
      assertTrue(kept >= Iwsi.rank(n, k), "keeps at least ceil(k n)");
    });
  }

  @Test
  void invalidInputNamesArgumentAndIndex() {
    assertIae(() -> Iwsi.dsWeights(new double[] {1, Double.NaN}, 1), "sampleLosses[1]", "NaN");
    assertIae(() -> Iwsi.dsWeights(new double[] {1, 2, -0.5}, 1), "sampleLosses[2]", "negative");
    assertIae(() -> Iwsi.dsWeights(new double[] {INF}, 1), "sampleLosses[0]", "not finite");
    assertIae(() -> Iwsi.dsWeights(new double[0], 1), "sampleLosses is empty");
    assertIae(() -> Iwsi.dsWeights(null, 1), "sampleLosses is null");
    assertIae(() -> Iwsi.dsWeights(new double[] {1}, 0), "validMeanLoss", "> 0");
    assertIae(() -> Iwsi.dsWeights(new double[] {1}, -1), "validMeanLoss");
    assertIae(() -> Iwsi.dsWeights(new double[] {1}, Double.NaN), "validMeanLoss");
    assertIae(() -> Iwsi.keepLowest(new double[] {1, Double.NaN}, 0.5), "dsWeights[1]", "NaN");
    assertIae(() -> Iwsi.keepLowest(new double[] {1}, 0), "keepFraction", "(0, 1]");
    assertIae(() -> Iwsi.keepLowest(new double[] {1}, 1.01), "keepFraction");
    assertIae(() -> Iwsi.keepLowest(new double[] {1}, Double.NaN), "keepFraction");
    assertIae(() -> Iwsi.keepLowest(new double[0], 0.5), "dsWeights is empty");
    assertIae(() -> Iwsi.clippedWeights(new double[] {1}, 1, 0), "clip");
    assertIae(() -> Iwsi.validMeanLoss(new double[] {1, -2}), "validLosses[1]");
    assertIae(() -> Iwsi.validMeanLoss(new double[0]), "validLosses is empty");
  }
}
