package dev.reweigh.weighting;

import static dev.reweigh.testkit.Rejects.assertIae;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.reweigh.testkit.Close;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EastTest {

  /** docs/methods.md §3, the worked example (a = 1). */
  @Test
  void methodsExample() {
    double[] h = {
      East.entropy(new int[] {4, 2, 2}),
      East.entropy(new int[] {6, 1, 1}),
      East.entropy(new int[] {2, 2, 2, 2})
    };
    Close.arrays(new double[] {1.0397208, 0.7356219, 1.3862944}, h, 5e-8);
    // docs/methods.md §3 rounds to 7 decimals (its 0.6980137 is 0.69801365 rounded up), so compare
    // to one unit in the last printed place, and to full precision against f = h / mean(h).
    double[] f = East.weights(h, 1);
    Close.arrays(new double[] {0.9865656, 0.6980137, 1.3154208}, f, 1e-7);
    double mean = (h[0] + h[1] + h[2]) / 3;
    Close.arrays(new double[] {h[0] / mean, h[1] / mean, h[2] / mean}, f, 1e-15);
  }

  @Test
  void entropyByHand() {
    assertEquals(Math.log(2), East.entropy(new int[] {3, 3}), 1e-15);
    assertEquals(0.0, East.entropy(new int[] {5}), 0);
    assertEquals(0.0, East.entropy(new int[] {0, 5, 0}), 0);
    // p = (0.75, 0.25): -(0.75 ln 0.75 + 0.25 ln 0.25) = 0.5623351446...
    assertEquals(0.5623351446188083, East.entropy(new int[] {3, 1}), 1e-15);
    // Scale invariant in the counts.
    assertEquals(East.entropy(new int[] {3, 1}), East.entropy(new int[] {30, 10}), 1e-15);
  }

  @Test
  void weightsByHandForNegativeAndZeroExponent() {
    // a = -1: h = (1, 2) -> h^a = (1, 0.5), mean 0.75 -> (4/3, 2/3).
    Close.arrays(new double[] {4.0 / 3, 2.0 / 3}, East.weights(new double[] {1, 2}, -1), 1e-15);
    // a = 2: (1, 4) / 2.5 = (0.4, 1.6).
    Close.arrays(new double[] {0.4, 1.6}, East.weights(new double[] {1, 2}, 2), 1e-15);
    // a = 0: uniform, even with h = 0.
    Close.arrays(new double[] {1, 1, 1}, East.weights(new double[] {0, 0.3, 2}, 0), 0);
  }

  @Test
  void zeroEntropyEdgeCases() {
    // a > 0: h = 0 gets weight 0; others share mean 1: (0, 1, 2)/1 -> (0, 1, 2).
    Close.arrays(new double[] {0, 1, 2}, East.weights(new double[] {0, 1, 2}, 1), 1e-15);
    // All zero: uniform for any a.
    Close.arrays(new double[] {1, 1}, East.weights(new double[] {0, 0}, 2), 0);
    Close.arrays(new double[] {1, 1}, East.weights(new double[] {0, 0}, -2), 0);
    // a < 0 with one zero: undefined, names the index.
    assertIae(() -> East.weights(new double[] {0.5, 0, 1}, -1), "entropies[1] = 0", "a = -1.0");
  }

  @Test
  void meanIsOneAndPermutationEquivariantAndMonotone() {
    Assertions2.randomTrials(3, 100, 30, r -> r.nextDouble() * 2.0, (t, rnd, h) -> {
      int n = h.length;
      for (int i = 0; i < n; i++) {
        h[i] += 1e-3; // strictly positive so any a is defined
      }
      double a = -3 + 6 * rnd.nextDouble();
      double[] f = East.weights(h, a);
      assertEquals(1.0, Assertions2.sum(f) / n, 1e-12);
      Assertions2.assertPermutationEquivariant(rnd, h, f, x -> East.weights(x, a), 1e-12);
      // Scale invariance: f(c h) = f(h) (the log base cancels).
      double[] scaled = h.clone();
      for (int i = 0; i < n; i++) {
        scaled[i] *= 1.0 / Math.log(2);
      }
      Close.arrays(f, East.weights(scaled, a), 1e-11);
      // Monotone: a > 0 favours larger h, a < 0 smaller h.
      Assertions2.assertMonotone(h, f, a > 0);
    });
  }

  @Test
  void largeExponentDoesNotOverflow() {
    double[] f = East.weights(new double[] {1e-3, 1.0}, -300);
    // h^a = (1e900, 1): mean = 5e899 -> (2, 2e-900 == 0).
    Close.arrays(new double[] {2.0, 0.0}, f, 1e-12);
  }

  @Test
  void baselines() {
    // Accuracy: A = (0.25, 0.5) -> (1 - A) = (0.75, 0.5), a = 1 -> / 0.625 = (1.2, 0.8).
    Close.arrays(
        new double[] {1.2, 0.8}, East.accuracyWeights(new double[] {0.25, 0.5}, 1), 1e-15);
    assertIae(() -> East.accuracyWeights(new double[] {1.0, 0.5}, -1), "accuracies[0] = 0");
    assertIae(() -> East.accuracyWeights(new double[] {1.5}, 1), "accuracies[0] = 1.5", "[0, 1]");
    // Rejected: R = (0.5, 0.25), a = 2 -> (0.25, 0.0625) / 0.15625 = (1.6, 0.4).
    Close.arrays(
        new double[] {1.6, 0.4}, East.rejectedWeights(new double[] {0.5, 0.25}, 2), 1e-15);
    List<String> answers = Arrays.asList("5", "6", "6", "7", "5.0", null, "6", "8");
    assertEquals(2.0 / 8, East.accuracy(answers, "5"), 0);
    assertEquals(3.0 / 8, East.rejectedFraction(answers, "5"), 0);
    assertEquals(0.0, East.rejectedFraction(List.of("5", "5"), "5"), 0);
  }

  @Test
  void dpoPairsChooseCorrectAgainstLargestWrongCluster() {
    // Wrong clusters: "6" {1, 2, 6} (largest), "7" {3}, "8" {7}; correct: 0, 4.
    List<String> answers = Arrays.asList("5", "6", "6", "7", "5.0", null, "6", "8");
    assertEquals(
        List.of(new East.Pair(0, 1), new East.Pair(4, 2)), East.dpoPairs(answers, "5"));
    // Cycling when there are more correct responses than rejected ones; tie -> first cluster.
    assertEquals(
        List.of(new East.Pair(0, 1), new East.Pair(2, 1), new East.Pair(4, 1)),
        East.dpoPairs(List.of("1", "2", "1", "3", "1"), "1"));
    assertEquals(List.of(), East.dpoPairs(List.of("1", "1"), "1"));
    assertEquals(List.of(), East.dpoPairs(List.of("2", "3"), "1"));
  }

  @Test
  void invalidInput() {
    assertIae(() -> East.entropy(new int[0]), "clusterCounts is empty");
    assertIae(() -> East.entropy(new int[] {1, -1}), "clusterCounts[1] = -1");
    assertIae(() -> East.entropy(new int[] {0, 0}), "sum to 0");
    assertIae(() -> East.weights(new double[] {1, Double.NaN}, 1), "entropies[1]");
    assertIae(() -> East.weights(new double[] {1, -0.1}, 1), "entropies[1]", "negative");
    assertIae(() -> East.weights(new double[0], 1), "entropies is empty");
    assertIae(() -> East.weights(new double[] {1}, Double.NaN), "a = NaN");
  }
}
