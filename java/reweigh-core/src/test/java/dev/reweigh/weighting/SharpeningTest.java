package dev.reweigh.weighting;

import static dev.reweigh.testkit.Rejects.assertIae;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.reweigh.testkit.Close;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SharpeningTest {

  /** docs/methods.md §4, the worked example. */
  @Test
  void methodsExample() {
    double[] lp = {-12.0, -8.5, -15.2, -9.1};
    int[] len = {10, 5, 20, 6};
    assertEquals(1, Sharpening.bestOfN(Sharpening.sequenceLogProbRewards(lp)));
    // -1.2, -1.7, -0.76, -1.5167 -> index 2.
    Close.arrays(
        new double[] {-1.2, -1.7, -0.76, -9.1 / 6}, Sharpening.lengthNormalizedRewards(lp, len), 1e-15);
    assertEquals(2, Sharpening.sftSelect(Sharpening.SelfReward.LENGTH_NORMALIZED, lp, len, null));
    assertEquals(1, Sharpening.sftSelect(Sharpening.SelfReward.SEQUENCE_LOGPROB, lp, null, null));
  }

  @Test
  void bestOfNTiesGoToLowestIndex() {
    assertEquals(1, Sharpening.bestOfN(new double[] {0, 3, 1, 3}));
    assertEquals(0, Sharpening.bestOfN(new double[] {2, 2, 2}));
    assertEquals(0, Sharpening.bestOfN(new double[] {Double.NEGATIVE_INFINITY}));
    assertEquals(2, Sharpening.bestOfN(new double[] {-1, -1, Double.POSITIVE_INFINITY}));
    assertEquals(1, Sharpening.worstOfN(new double[] {0, -3, 1, -3}));
  }

  @Test
  void bestOfNIsPermutationEquivariant() {
    // Integer rewards in [-4, 0]: ties likely.
    Assertions2.randomTrials(8, 100, 50, g -> -g.nextInt(5), (t, rnd, r) -> {
      int n = r.length;
      int best = Sharpening.bestOfN(r);
      int[] p = Assertions2.permutation(rnd, n);
      int bestP = Sharpening.bestOfN(Assertions2.permute(r, p));
      assertEquals(r[best], r[p[bestP]], 0);
      // Lowest index among the maxima.
      for (int i = 0; i < best; i++) {
        assertEquals(true, r[i] < r[best]);
      }
    });
  }

  @Test
  void majorityReward() {
    List<String> answers = Arrays.asList("3", "4", "3.0", null, "4", "3");
    Close.arrays(
        new double[] {0.5, 2.0 / 6, 0.5, 0, 2.0 / 6, 0.5}, Sharpening.majorityRewards(answers), 1e-15);
    assertEquals(0, Sharpening.sftSelect(Sharpening.SelfReward.MAJORITY, null, null, answers));
  }

  @Test
  void coverage() {
    // Ccov = mean(1/e^-1, 1/e^-3) = (e + e^3) / 2.
    double[] best = {-1, -3};
    assertEquals((Math.E + Math.exp(3)) / 2, Sharpening.coverage(best), 1e-12);
    // log form survives what exp cannot: ln mean(e^800, e^800) = 800.
    assertEquals(800.0, Sharpening.logCoverage(new double[] {-800, -800}), 1e-12);
  }

  @Test
  void invalidInput() {
    assertIae(() -> Sharpening.bestOfN(new double[0]), "rewards is empty");
    assertIae(() -> Sharpening.bestOfN(null), "rewards is null");
    assertIae(() -> Sharpening.bestOfN(new double[] {1, Double.NaN}), "rewards[1] = NaN");
    assertIae(
        () -> Sharpening.lengthNormalizedRewards(new double[] {-1, -2}, new int[] {3, 0}),
        "tokenCounts[1] = 0");
    assertIae(
        () -> Sharpening.lengthNormalizedRewards(new double[] {-1}, new int[] {3, 4}),
        "tokenCounts.length = 2");
    assertIae(
        () -> Sharpening.sequenceLogProbRewards(new double[] {Double.NaN}), "logProbSums[0]");
    assertIae(() -> Sharpening.majorityRewards(List.of()), "answers is empty");
    assertIae(() -> Sharpening.rewards(null, null, null, null), "reward is null");
  }
}
