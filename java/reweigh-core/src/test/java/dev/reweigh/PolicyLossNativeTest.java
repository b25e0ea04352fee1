package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.weighting.PolicyGradient;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link PolicyLoss#forwardBackward(NativeBatch, LossSpec, PolicySpec, NativePolicyBuffers,
 * NativeGrad)} (every array by address, the overload CUDA batches take) on a CPU batch against the
 * heap overload on the same values: the same native step, so every result is bit-identical; and
 * its address checks.
 */
class PolicyLossNativeTest {

  @ParameterizedTest(name = "{0} entropy={1}")
  @CsvSource({"grpo, false", "grpo, true", "dapo, true", "dft, false", "dft, true"})
  void addressesGiveTheHeapResults(String method, boolean entropy) {
    PolicyLossTest.Batch b = new PolicyLossTest.Batch(11, 5);
    LossSpec spec = TokenLoss.objectiveSpec();
    SampleStats st = FusedLoss.forward(b.logits, b.vocab, b.targets, b.offsets, spec);
    b.setRatios(st.rowLogp(), 6);
    PolicySpec policy = PolicyLossTest.spec(method);
    boolean dft = policy.method() == PolicySpec.Method.DFT;
    float[] beta = entropy ? b.entropyWeights : null;
    float[] heapGrad = new float[b.logits.length];
    PolicyResult want = PolicyLoss.forwardBackward(b.logits, b.vocab, b.targets, b.offsets, spec,
        policy, dft ? null : b.oldLogp, dft ? null : b.rowAdv, dft ? null : b.refLogp, beta,
        heapGrad);
    int rows = b.targets.length;
    try (FloatPointer z = new FloatPointer(b.logits);
        IntPointer t = new IntPointer(b.targets);
        IntPointer o = new IntPointer(b.offsets);
        FloatPointer old = new FloatPointer(b.oldLogp);
        FloatPointer adv = new FloatPointer(b.rowAdv);
        FloatPointer ref = new FloatPointer(b.refLogp);
        FloatPointer bw = new FloatPointer(b.entropyWeights);
        FloatPointer logp = new FloatPointer(rows);
        FloatPointer ent = new FloatPointer(rows);
        FloatPointer w = new FloatPointer(rows);
        BytePointer clipped = new BytePointer(rows);
        DoublePointer objective = new DoublePointer(1);
        LongPointer counts = new LongPointer(2)) {
      NativeBatch batch = NativeBatch.builder().logits(z, rows, b.vocab).targets(t)
          .offsets(o, b.offsets.length - 1).build();
      NativePolicyBuffers buffers = new NativePolicyBuffers(dft ? 0 : old.address(),
          dft ? 0 : adv.address(), dft ? 0 : ref.address(), entropy ? bw.address() : 0,
          logp.address(), ent.address(), w.address(), clipped.address(), objective.address(),
          counts.address());
      PolicyLoss.forwardBackward(batch, spec, policy, buffers, NativeGrad.inPlace(batch));
      float[] got = new float[b.logits.length];
      z.get(got);
      assertArrayEquals(heapGrad, got, "gradient (in place)");
      float[] f = new float[rows];
      logp.get(f);
      assertArrayEquals(want.rowLogp(), f, "rowLogp");
      ent.get(f);
      assertArrayEquals(want.rowEntropy(), f, "rowEntropy");
      w.get(f);
      assertArrayEquals(want.rowWeights(), f, "rowWeights");
      byte[] c = new byte[rows];
      clipped.get(c);
      assertArrayEquals(want.rowClipped(), c, "rowClipped");
      assertEquals(want.objective(), objective.get(0), 0.0, "objective");
      assertEquals(want.clippedBelow(), counts.get(0), "clipped below");
      assertEquals(want.clippedAbove(), counts.get(1), "clipped above");
      if (!dft) {
        assertTrue(want.clippedBelow() > 0 && want.clippedAbove() > 0, "both clip sides taken");
      }
    }
  }

  @org.junit.jupiter.api.Test
  void missingAddressesAreNamed() {
    try (FloatPointer z = new FloatPointer(6);
        IntPointer t = new IntPointer(0, 1);
        IntPointer o = new IntPointer(0, 2);
        FloatPointer row = new FloatPointer(2)) {
      NativeBatch batch = NativeBatch.builder().logits(z, 2, 3).targets(t).offsets(o, 1).build();
      LossSpec spec = TokenLoss.objectiveSpec();
      PolicySpec grpoKl = PolicySpec.grpo(0.2, 0.04, PolicyGradient.Level.SEQUENCE);
      long a = row.address();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> PolicyLoss.forwardBackward(batch, spec, grpoKl,
              new NativePolicyBuffers(0, a, a, 0, 0, 0, 0, 0, 0, 0), NativeGrad.inPlace(batch)));
      assertTrue(e.getMessage().contains("oldLogp address is 0"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> PolicyLoss.forwardBackward(batch, spec, grpoKl,
              new NativePolicyBuffers(a, a, 0, 0, 0, 0, 0, 0, 0, 0), NativeGrad.inPlace(batch)));
      assertTrue(e.getMessage().contains("refLogp address is 0"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> PolicyLoss.forwardBackward(batch, spec, grpoKl, null, NativeGrad.inPlace(batch)));
      assertTrue(e.getMessage().contains("buffers is null"), e.getMessage());
    }
  }
}
