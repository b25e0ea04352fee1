package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.reweigh.testkit.Close;
import dev.reweigh.testkit.OptionGrid;
import dev.reweigh.testkit.RefOptions;
import dev.reweigh.testkit.RefOptions.Mode;
import dev.reweigh.testkit.Reference64;
import org.junit.jupiter.api.Test;

/** Properties that must hold exactly: in place, determinism across threads, empty samples. */
class InvariantsTest {

  @Test
  void inPlaceEqualsSeparateBufferBitForBit() {
    for (String isa : Isa.supported()) {
      Isa.with(isa, () -> {
        TestBatch b = TestBatch.random(42, 37, 1003, 4.0, false);
        LossSpec spec = OptionGrid.kernel("all+explicit").spec();
        float[] separate = new float[b.logits.length];
        LossResult r1 = FusedLoss.forwardBackward(
            b.logits, b.vocab, b.targets, b.offsets, b.coefficients, spec, separate);
        float[] inPlace = b.logits.clone();
        LossResult r2 = FusedLoss.forwardBackward(
            inPlace, b.vocab, b.targets, b.offsets, b.coefficients, spec, inPlace);
        assertArrayEquals(separate, inPlace, isa + ": in-place gradient");
        assertEquals(r1.total(), r2.total(), 0.0, isa + ": total");
      });
    }
  }

  @Test
  void resultsDoNotDependOnThreadCount() {
    int before = Capabilities.threads();
    try {
      TestBatch b = TestBatch.random(5, 301, 4099, 3.0, false);
      LossSpec spec = LossSpec.builder().labelSmoothing(0.1f).zLoss(1e-4f).build();
      float[] reference = null;
      float[] referenceLoss = null;
      double referenceTotal = 0;
      for (int threads : new int[] {1, 2, 3, 4, 8}) {
        Capabilities.setThreads(threads);
        assertEquals(threads, Capabilities.threads());
        float[] grad = new float[b.logits.length];
        LossResult r = FusedLoss.forwardBackward(
            b.logits, b.vocab, b.targets, b.offsets, b.coefficients, spec, grad);
        float[] loss = new float[b.samples()];
        for (int s = 0; s < loss.length; s++) {
          loss[s] = (float) r.stats().loss(s);
        }
        if (reference == null) {
          reference = grad;
          referenceLoss = loss;
          referenceTotal = r.total();
        } else {
          assertArrayEquals(reference, grad, threads + " threads: gradient");
          assertArrayEquals(referenceLoss, loss, threads + " threads: losses");
          assertEquals(referenceTotal, r.total(), 0.0, threads + " threads: total");
        }
      }
    } finally {
      Capabilities.setThreads(before);
    }
  }

  @Test
  void emptyAndFullyIgnoredSamplesAreZeroEverywhere() {
    int vocab = 5;
    float[] logits = new float[4 * vocab];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = i * 0.1f;
    }
    int[] targets = {-100, -100, 1, 2};
    int[] offsets = {0, 0, 2, 4}; // sample 0 empty, sample 1 all ignored, sample 2 two rows
    float[] grad = new float[logits.length];
    java.util.Arrays.fill(grad, 99f);
    LossResult r = FusedLoss.forwardBackward(
        logits, vocab, targets, offsets, new float[] {5f, 7f, 1f}, LossSpec.defaults(), grad);
    for (int s = 0; s < 2; s++) {
      assertEquals(0.0, r.stats().loss(s), 0.0);
      assertEquals(0.0, r.stats().logProbSum(s), 0.0);
      assertEquals(0, r.stats().tokenCount(s));
      assertEquals(0.0, r.stats().meanEntropy(s), 0.0);
    }
    for (int i = 0; i < 2 * vocab; i++) {
      assertEquals(0f, grad[i], 0f, "ignored rows get a zero gradient, index " + i);
    }
    // WEIGHT_SUM counts only samples with tokens: D = 1, so total = loss of sample 2.
    assertEquals(r.stats().loss(2), r.total(), 1e-6);
  }

  @Test
  void backwardAfterForwardEqualsForwardBackward() {
    TestBatch b = TestBatch.random(11, 64, 513, 3.0, true);
    RefOptions o = RefOptions.DEFAULTS.softcap(10).mode(Mode.NONE);
    LossSpec spec = o.spec();
    float[] fused = new float[b.logits.length];
    FusedLoss.forwardBackward(b.logits, b.vocab, b.targets, b.offsets, b.coefficients, spec, fused);
    SampleStats st = FusedLoss.forward(b.logits, b.vocab, b.targets, b.offsets, spec);
    float[] twoPhase = new float[b.logits.length];
    FusedLoss.backward(b.logits, b.vocab, b.targets, b.offsets, st, b.coefficients, spec, twoPhase);
    // Both compute k * (p - ...) with p from the same lse; the fused path uses exp(z - m) / d and
    // the two-phase path exp(z - lse), which differ by a float32 rounding of p: a bound per
    // element relative to p.
    Reference64 ref =
        Reference64.compute(b.logits, b.vocab, b.targets, b.offsets, b.coefficients, o);
    double[] f = new double[fused.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = fused[i];
    }
    Close.arrays("two-phase vs fused", f, twoPhase, ref.gradTolerance(1e-5, 1e-6, 1e-5), 1e-5);
  }
}
