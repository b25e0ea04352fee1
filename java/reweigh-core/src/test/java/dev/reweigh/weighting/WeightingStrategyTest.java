package dev.reweigh.weighting;

import static dev.reweigh.weighting.Assertions2.assertArrayClose;
import static dev.reweigh.weighting.Assertions2.assertIae;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class WeightingStrategyTest {

  private static final SampleStatistics STATS =
      SampleStatistics.ofLosses(new double[] {1.6, 2.0, 2.5, 3.0, 1.0});

  @Test
  void strategiesAreInterchangeable() {
    List<WeightingStrategy> all =
        List.of(
            WeightingStrategy.uniform(),
            WeightingStrategy.iwsi(2.0, 0.8),
            WeightingStrategy.iwsiClipped(2.0, 2.0),
            WeightingStrategy.lossReweighting(LossReweighting.Strategy.QUADRATIC, 1.0),
            WeightingStrategy.klDro(1.0),
            WeightingStrategy.east(new int[] {0, 0, 1, 1, 2}, new double[] {1, 2, 3}, 1));
    for (WeightingStrategy s : all) {
      SampleWeights w = s.weigh(STATS);
      assertArrayEquals(new int[] {5, 5}, new int[] {w.coefficients().length, w.keep().length});
    }
  }

  @Test
  void strategiesDelegateToTheMethods() {
    SampleWeights iwsi = WeightingStrategy.iwsi(2.0, 0.8).weigh(STATS);
    assertArrayEquals(new boolean[] {true, true, true, true, false}, iwsi.keep());
    assertArrayClose(new double[] {1, 1, 1, 1, 0}, iwsi.coefficients(), 0);
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        new float[] {1f, 1f, 1f, 1f, 0f}, iwsi.coefficientsAsFloats(), 0f);
    assertArrayClose(
        new double[] {1.25, 1.0, 0.8, 2.0 / 3, 2.0},
        WeightingStrategy.iwsiClipped(2.0, 2.0).weigh(STATS).coefficients(),
        1e-15);
    assertArrayClose(
        KlDro.weights(STATS.loss(), 0.7),
        WeightingStrategy.klDro(0.7).weigh(STATS).coefficients(),
        0);
    // EAST: h = (1, 2, 3), a = 1 -> f = (0.5, 1, 1.5) expanded to samples.
    assertArrayClose(
        new double[] {0.5, 0.5, 1.0, 1.0, 1.5},
        WeightingStrategy.east(new int[] {0, 0, 1, 1, 2}, new double[] {1, 2, 3}, 1)
            .weigh(STATS)
            .coefficients(),
        1e-15);
  }

  @Test
  void invalidConfiguration() {
    assertIae(() -> WeightingStrategy.iwsi(2.0, 0), "keepFraction");
    assertIae(() -> WeightingStrategy.klDro(0), "temperature");
    assertIae(() -> WeightingStrategy.east(new int[] {3}, new double[] {1}, 1), "questionOfSample[0] = 3");
    assertIae(
        () -> WeightingStrategy.fixed(new double[] {1, 2}).weigh(STATS), "stats.loss.length = 5");
    assertIae(
        () -> new SampleStatistics(new double[] {1}, new double[] {1, 2}, null), "logProbSum.length");
  }
}
