package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.reweigh.testkit.Bf16;
import dev.reweigh.testkit.OptionGrid;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * bf16 logits against the fp32 path on the same (bf16-representable) values: statistics must
 * agree to fp32 accuracy because both compute in fp32; the bf16 gradient must equal the fp32
 * gradient rounded to bf16, within one bf16 ulp (2^-8 relative) plus the fp32 noise.
 */
class Bf16Test {

  /** The test kit's {@link Bf16#bits(float)}, under the name the core tests call. */
  static short toBf16(float f) {
    return Bf16.bits(f);
  }

  /** The test kit's {@link Bf16#value(short)}, under the name the core tests call. */
  static float fromBf16(short h) {
    return Bf16.value(h);
  }

  @ParameterizedTest(name = "V={0}")
  @ValueSource(ints = {1, 17, 33, 1000, 32000})
  void bf16MatchesFp32OnRepresentableValues(int vocab) {
    for (String isa : Isa.supported()) {
      Isa.with(isa, () -> {
        TestBatch b = TestBatch.random(vocab, 19, vocab, 3.0, false);
        short[] bf = new short[b.logits.length];
        float[] widened = new float[b.logits.length];
        for (int i = 0; i < bf.length; i++) {
          bf[i] = toBf16(b.logits[i]);
          widened[i] = fromBf16(bf[i]);
        }
        LossSpec spec = OptionGrid.kernel("all+explicit").spec();
        float[] g32 = new float[widened.length];
        LossResult r32 = FusedLoss.forwardBackward(
            widened, vocab, b.targets, b.offsets, b.coefficients, spec, g32);
        short[] g16 = new short[bf.length];
        LossResult r16 = FusedLoss.forwardBackward(
            bf, vocab, b.targets, b.offsets, b.coefficients, spec, g16);
        assertEquals(r32.total(), r16.total(), 1e-6 * (1 + Math.abs(r32.total())), isa);
        for (int s = 0; s < b.samples(); s++) {
          assertEquals(r32.stats().loss(s), r16.stats().loss(s), 1e-6, isa + " loss " + s);
        }
        double scale = 0;
        for (float g : g32) {
          scale = Math.max(scale, Math.abs(g));
        }
        for (int i = 0; i < g32.length; i++) {
          double expected = g32[i];
          double tol = Math.abs(expected) * Math.pow(2, -8) + scale * 1e-6;
          assertEquals(expected, fromBf16(g16[i]), tol, isa + " grad[" + i + "]");
        }
        // In place on bf16 gives the same bits as a separate buffer.
        short[] inPlace = bf.clone();
        FusedLoss.forwardBackward(
            inPlace, vocab, b.targets, b.offsets, b.coefficients, spec, inPlace);
        org.junit.jupiter.api.Assertions.assertArrayEquals(g16, inPlace, isa + " in place");
      });
    }
  }
}
