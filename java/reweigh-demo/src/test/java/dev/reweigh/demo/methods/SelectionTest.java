package dev.reweigh.demo.methods;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.reweigh.demo.task.Problem;
import dev.reweigh.demo.train.Scorer;
import dev.reweigh.demo.train.Preference;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Method selections on a hand-made pool: Q: 23 a)+07 b)-03, gold 27, n = 4. */
class SelectionTest {
  private static final Problem P = new Problem("Q: 23 a)+07 b)-03 A:", " a)23+07=30 b)30-03=27 The answer is 27.\n",
      27, false, 23, new int[] {7, -3});
  private static final String RIGHT = " a)23+07=30 b)30-03=27 The answer is 27.\n";
  private static final String LUCKY = " a)23+07=31 b)31-03=27 The answer is 27.\n"; // right answer, wrong step
  private static final String WRONG = " a)23+07=30 b)30-03=28 The answer is 28.\n";
  private static final String NONE = " a)23+07=30 b)30-03=2";

  private static RoundInput input(List<String> responses, double[] logProbs, int[] tokens) {
    SampledPool pool = new SampledPool(List.of(P), responses.size(), responses);
    double[] z = new double[responses.size()];
    Scorer.Scores s = new Scorer.Scores(z, z, logProbs, tokens);
    Scorer.Scores v = new Scorer.Scores(new double[] {1.0}, new double[] {1.0}, new double[] {-1}, new int[] {1});
    return new RoundInput(pool, s, v);
  }

  @Test
  void eastCountsUnparsableResponsesAsOneCluster() {
    // Answers 27, 27, none, none: clusters {2, 2}, h = ln 2; without the unparsable cluster h = 0.
    RoundInput in = input(List.of(RIGHT, LUCKY, NONE, NONE), new double[4], new int[] {1, 1, 1, 1});
    assertEquals(Math.log(2), EastWeighting.entropy(in.pool(), 0), 1e-12);
  }

  @Test
  void dpoPrecisionCountsChosenResponsesOnly() {
    // Sum log-probs: best = WRONG (-1), worst = RIGHT (-9): one pair whose chosen side is wrong.
    RoundInput in = input(List.of(RIGHT, WRONG, LUCKY, WRONG), new double[] {-9, -1, -5, -1},
        new int[] {40, 40, 40, 40});
    Selected s = new DpoSharpening(new Preference(Preference.Kind.EQ8, 1.0)).select(in);
    assertEquals(1, s.pairs().size());
    assertEquals(WRONG, s.pairs().get(0).first());
    assertEquals(RIGHT, s.pairs().get(0).second());
    assertEquals(0.0, s.precision(), 0.0);
    assertEquals(0.25, s.keptFraction(), 0.0);
  }

  @Test
  void goldRejectionKeepsRightAnswersAndTheCheckerSeparatesLuckyChains() {
    RoundInput in = input(List.of(RIGHT, LUCKY, WRONG, NONE), new double[4], new int[] {1, 1, 1, 1});
    Selected s = PlainMethods.goldRejection().select(in);
    assertEquals(2, s.examples().size());
    assertEquals(1.0, s.precision(), 0.0);
    assertEquals(0.5, s.chainPrecision(), 0.0);
    assertArrayEquals(new boolean[] {true, false}, s.chainRight());
  }

  @Test
  void sharpeningRewardsPickByLengthOrBySum() {
    // log-probs [-12, -8.5, -15.2, -9.1], lengths [10, 5, 20, 6] (docs/methods.md §4):
    // summed reward picks 1, length-normalised picks 2.
    List<String> r = Arrays.asList(RIGHT, WRONG, LUCKY, NONE);
    RoundInput in = input(r, new double[] {-12.0, -8.5, -15.2, -9.1}, new int[] {10, 5, 20, 6});
    assertEquals(WRONG, new SftSharpening(false).select(in).examples().get(0).response());
    assertEquals(LUCKY, new SftSharpening(true).select(in).examples().get(0).response());
  }
}
