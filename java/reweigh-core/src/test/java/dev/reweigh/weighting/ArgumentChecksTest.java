package dev.reweigh.weighting;

import static dev.reweigh.testkit.Rejects.assertIae;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every public entry point of the weighting package rejects bad input itself, with an
 * IllegalArgumentException naming the argument and index, before any arithmetic: NaN or infinite
 * numbers would otherwise flow silently into weights (docs/style.md, memory safety and bad input).
 */
class ArgumentChecksTest {

  private static final double NAN = Double.NaN;
  private static final double INF = Double.POSITIVE_INFINITY;

  @Test
  void dpo() {
    double[] lp = {-1, -2};
    double[] ref = {-1.5, -2.5};
    int[] a = {0};
    int[] b = {1};
    assertIae(() -> Dpo.squaredLoss(new double[] {-1, INF}, ref, ref, a, b, 1), "logProbSums[1]");
    assertIae(() -> Dpo.squaredLoss(lp, new double[] {NAN, -1}, ref, a, b, 1), "refLogProbSums[0]");
    assertIae(() -> Dpo.squaredLoss(lp, ref, new double[] {0, NAN}, a, b, 1), "rewards[1]");
    assertIae(() -> Dpo.squaredLoss(lp, ref, new double[] {0}, a, b, 1), "rewards.length = 1");
    assertIae(() -> Dpo.squaredLoss(lp, ref, ref, new int[] {2}, b, 1), "first[0] = 2");
    assertIae(() -> Dpo.squaredLoss(lp, new double[] {-1}, ref, a, b, 1), "refLogProbSums.length");
    assertIae(() -> Dpo.sigmoid(lp, ref, new int[] {-1}, b, 1), "chosen[0] = -1");
    assertIae(() -> Dpo.sigmoid(lp, ref, a, new int[] {5}, 1), "rejected[0] = 5");
    assertIae(() -> Dpo.sigmoid(lp, ref, a, new int[] {1, 0}, 1), "rejected.length = 2");
    assertIae(() -> Dpo.sigmoid(lp, ref, a, b, 0), "beta");
    assertIae(() -> Dpo.sigmoid(lp, ref, a, b, NAN), "beta");
    assertIae(() -> Dpo.xpoExploration(new double[] {NAN}, new int[] {0}, 1), "logProbSums[0]");
  }

  @Test
  void iwsi() {
    assertIae(() -> Iwsi.naiveWeights(new double[] {1, -1}, 1), "sampleLosses[1]");
    assertIae(() -> Iwsi.naiveWeights(new double[] {1}, 0), "validMeanLoss");
    assertIae(() -> Iwsi.naiveWeights(new double[] {1}, INF), "validMeanLoss");
    assertIae(() -> Iwsi.threshold(new double[] {1, NAN}, 0.5), "values[1]");
    assertIae(() -> Iwsi.threshold(new double[] {1}, 0), "keepFraction");
    assertIae(() -> Iwsi.threshold(new double[] {1}, 1.5), "keepFraction");
    assertIae(() -> Iwsi.keepLowest(new double[] {1, 2}, -0.1), "keepFraction");
    assertIae(() -> Iwsi.clippedWeights(new double[] {1}, 1, -2), "clip");
  }

  @Test
  void east() {
    assertIae(() -> East.accuracy(List.of(), "1"), "answers is empty");
    assertIae(() -> East.rejectedFraction(List.of(), "1"), "answers is empty");
    assertIae(() -> East.dpoPairs(List.of(), "1"), "answers is empty");
    assertIae(() -> East.rejectedWeights(new double[] {0.5, 1.5}, 1), "rejectedFractions[1]");
    assertIae(() -> East.rejectedWeights(new double[] {-0.25}, 1), "rejectedFractions[0]");
    assertIae(() -> East.rejectedWeights(new double[] {0.5, NAN}, 1), "rejectedFractions[1]");
    assertIae(() -> East.accuracyWeights(new double[] {1.0000001}, 1), "accuracies[0]");
  }

  @Test
  void sharpening() {
    assertIae(
        () -> Sharpening.lengthNormalizedRewards(new double[] {-1, NAN}, new int[] {1, 1}),
        "logProbSums[1]");
    assertIae(
        () -> Sharpening.lengthNormalizedRewards(new double[] {-1}, new int[0]), "tokenCounts is empty");
    assertIae(() -> Sharpening.logCoverage(new double[] {-1, -INF}), "bestLogProbs[1]");
    assertIae(() -> Sharpening.worstOfN(new double[] {1, NAN}), "rewards[1]");
    assertIae(() -> Sharpening.bestOfN(new double[] {NAN}), "rewards[0]");
  }

  @Test
  void lossReweightingAndKlDro() {
    assertIae(() -> LossReweighting.weightedLoss(new double[] {1, NAN}, new double[] {1, 1}), "losses[1]");
    assertIae(() -> LossReweighting.weightedLoss(new double[] {1, 2}, new double[] {INF, 1}), "weights[0]");
    assertIae(() -> LossReweighting.weightedLoss(new double[] {1, 2}, new double[] {1}), "weights.length = 1");
    assertIae(
        () -> LossReweighting.weights(new double[] {1, 2}, LossReweighting.Strategy.LIN_UPPER, 0, 0, 5),
        "temperature");
    assertIae(
        () -> LossReweighting.weights(new double[] {1, -2}, LossReweighting.Strategy.LIN_UPPER, 1, 0, 5),
        "losses[1]");
    assertIae(() -> LossReweighting.weights(new double[] {1, 2}, null, 1, 0, 5), "strategy");
    assertIae(() -> KlDro.robustLoss(new double[] {1, -1}, 1), "losses[1]");
    assertIae(() -> KlDro.robustLoss(new double[] {1}, 0), "temperature");
  }

}
