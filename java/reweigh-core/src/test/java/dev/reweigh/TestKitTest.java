package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.testkit.Close;
import dev.reweigh.testkit.OptionGrid;
import dev.reweigh.testkit.RefOptions;
import dev.reweigh.testkit.RefOptions.Mode;
import dev.reweigh.testkit.Reference64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * The test kit's own checks: {@link Reference64} against numbers worked by hand from
 * docs/design.md §3 (the rows of {@link HandWorkedTest}), every {@link OptionGrid} set against the
 * LossSpec its literals build, and {@link Close} failing where it must.
 */
class TestKitTest {
  static final float[] TWO_CLASS = {0f, (float) Math.log(3)};

  /** logits [0, ln 3], target 1: p = [1/4, 3/4], loss = -ln 0.75, H = 0.5623351, lse = ln 4. */
  @Test
  void referenceMatchesTheTwoClassRow() {
    Reference64 r = Reference64.compute(TWO_CLASS, 2, new int[] {1}, new int[] {0, 1},
        new float[] {1f}, RefOptions.DEFAULTS);
    assertEquals(0.2876821, r.loss[0], 1e-7);
    assertEquals(Math.log(0.75), r.logProbSum[0], 1e-7);
    assertEquals(0.5623351, r.meanEntropy[0], 1e-7);
    assertEquals(1.3862944, r.rowLse[0], 1e-7);
    assertEquals(1, r.tokenCount[0]);
    assertEquals(1.0, r.d);
    assertEquals(0.2876821, r.total, 1e-7);
    assertEquals(0.25, r.grad[0], 1e-7);
    assertEquals(-0.25, r.grad[1], 1e-7);
  }

  /**
   * Label smoothing 0.1: rowLoss = 0.9 * 0.2876821 + 0.1 * (ln 4 - ln 3 / 2) = 0.3426127 and the
   * gradient p - 0.9 onehot - 0.05 = [0.2, -0.2]. z-loss 0.5 adds 0.5 ln^2 4 = 0.9609060 and
   * scales the p part by 1 + ln 4.
   */
  @Test
  void referenceAppliesSmoothingAndZLoss() {
    Reference64 eps = Reference64.compute(TWO_CLASS, 2, new int[] {1}, new int[] {0, 1},
        new float[] {1f}, RefOptions.DEFAULTS.eps(0.1));
    assertEquals(0.3426127, eps.total, 1e-6);
    assertEquals(0.2, eps.grad[0], 1e-6);
    assertEquals(-0.2, eps.grad[1], 1e-6);
    Reference64 z = Reference64.compute(TWO_CLASS, 2, new int[] {1}, new int[] {0, 1},
        new float[] {1f}, RefOptions.DEFAULTS.lambda(0.5));
    double lse = Math.log(4);
    assertEquals(0.2876821 + 0.5 * lse * lse, z.total, 1e-6);
    assertEquals(0.25 * (1 + lse), z.grad[0], 1e-6);
    assertEquals(0.75 * (1 + lse) - 1, z.grad[1], 1e-6);
  }

  /**
   * Two rows in one sample with coefficient 2, the second ignored under ignore index 0: MEAN and
   * SUM agree on one counted row; TOKENS gives D = 1, WEIGHT_SUM D = 2, EXPLICIT its literal.
   */
  @Test
  void referenceCountsRowsAndFormsD() {
    float[] logits = {TWO_CLASS[0], TWO_CLASS[1], 5f, -1f};
    int[] targets = {1, 0};
    int[] offsets = {0, 2};
    float[] c = {2f};
    RefOptions o = RefOptions.DEFAULTS.ignore(0);
    assertEquals(2.0, Reference64.compute(logits, 2, targets, offsets, c, o).d);
    assertEquals(1.0, Reference64.compute(logits, 2, targets, offsets, c, o.mode(Mode.TOKENS)).d);
    Reference64 explicit =
        Reference64.compute(logits, 2, targets, offsets, c, o.summed().explicit(4));
    assertEquals(4.0, explicit.d);
    assertEquals(2 * 0.2876821 / 4, explicit.total, 1e-7);
    assertEquals(0.0, explicit.grad[2]);
    assertEquals(0.0, explicit.grad[3]);
    assertTrue(!explicit.counted[1]);
  }

  /** D = 0 (every row ignored) is the zero step; no coefficients: forward only. */
  @Test
  void referenceZeroStepAndForwardOnly() {
    Reference64 zero = Reference64.compute(TWO_CLASS, 2, new int[] {-100}, new int[] {0, 1},
        new float[] {1f}, RefOptions.DEFAULTS);
    assertEquals(0.0, zero.d);
    assertEquals(0.0, zero.total);
    assertEquals(0.0, zero.grad[0]);
    Reference64 fwd = Reference64.compute(TWO_CLASS, 2, new int[] {1}, new int[] {0, 1}, null,
        RefOptions.DEFAULTS);
    assertNull(fwd.grad);
    assertTrue(Double.isNaN(fwd.total));
  }

  /** Each set's LossSpec carries exactly the literals the references read. */
  @Test
  void everyGridSetBuildsItsLiterals() {
    for (OptionGrid.Named n : Stream.of(OptionGrid.KERNEL, OptionGrid.TORCH, OptionGrid.ND4J)
        .flatMap(List::stream).toList()) {
      RefOptions o = n.o();
      LossSpec s = n.spec();
      String at = n.label();
      assertEquals((float) o.eps(), s.labelSmoothing(), at);
      assertEquals((float) o.lambda(), s.zLoss(), at);
      assertEquals((float) o.softcap(), s.softcap(), at);
      assertEquals((float) o.scale(), s.logitScale(), at);
      assertEquals(o.ignoreIndex(), s.ignoreIndex(), at);
      assertEquals(o.sum() ? TokenReduction.SUM : TokenReduction.MEAN, s.tokenReduction(), at);
      assertEquals(o.mode().name(), s.normalization().name(), at);
      if (o.mode() == Mode.EXPLICIT) {
        assertEquals(o.d(), s.normalizer(), at);
      }
    }
  }

  @Test
  void closeFailsOutsideItsBound() {
    Close.arrays("in", new double[] {1, 2}, new float[] {1f, 2.0001f}, 1e-3, 0);
    assertThrows(AssertionFailedError.class,
        () -> Close.arrays("out", new double[] {1, 2}, new float[] {1f, 2.01f}, 1e-3, 0));
    assertThrows(AssertionFailedError.class,
        () -> Close.scalar("nan", 1, Double.NaN, 1, 1));
    assertTrue(Close.close(Double.NaN, Double.NaN, 0, 0));
    assertTrue(!Close.close(Double.POSITIVE_INFINITY, Double.MAX_VALUE, 0, 1));
  }

  @Test
  void relativeToMaxBoundsEveryElementByTheLargest() {
    // max |expected| = 100, rel 1e-3: every element may be off by 0.1, the small one too.
    Close.relativeToMax("in", new double[] {100, 0.5}, new double[] {100.09, 0.59}, 1e-3);
    assertThrows(AssertionFailedError.class,
        () -> Close.relativeToMax("out", new double[] {100, 0.5}, new double[] {100, 0.61}, 1e-3));
    // All-zero expected values: the bound is rel * 1e-6.
    assertThrows(AssertionFailedError.class,
        () -> Close.relativeToMax("zero", new double[] {0}, new double[] {1e-8}, 1e-3));
  }
}
