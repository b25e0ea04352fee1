package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The argument contract of every {@link TokenLoss#backward} overload: empty batches are valid,
 * each wrong-sized or missing input is an IllegalArgumentException naming it (before anything is
 * written), and a fault only the library can see (a target outside the vocabulary) reaches the
 * caller as an exception on every overload. The valid calls check a gradient worked by hand.
 */
class TokenLossChecksTest {
  private static final int V = 2;
  private static final LossSpec SPEC = TokenLoss.objectiveSpec();
  // One sample of two rows, logits {0, 0} and {0, ln 3}, targets 0 and 1.
  private static final float LN3 = (float) Math.log(3);
  private static final float[] LOGITS = {0f, 0f, 0f, LN3};
  private static final int[] TARGETS = {0, 1};
  private static final int[] BAD_TARGETS = {0, 2};
  private static final int[] OFFSETS = {0, 2};

  private static void assertNames(String what, Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(what), "'" + e.getMessage() + "' should name " + what);
  }

  @Test
  void unitCoefficientsOfNoSamplesIsEmpty() {
    assertArrayEquals(new float[0], TokenLoss.unitCoefficients(0));
    assertArrayEquals(new float[] {1f, 1f}, TokenLoss.unitCoefficients(2));
    assertNames("samples = -1", () -> TokenLoss.unitCoefficients(-1));
  }

  @Test
  void emptyBatchesAreValid() {
    SampleStats none = FusedLoss.forward(new float[0], V, new int[0], new int[] {0}, SPEC);
    float[] grad = new float[0];
    TokenLoss.backward(new float[0], V, new int[0], new int[] {0}, none, new float[0],
        new float[0], null, SPEC, grad);
    TokenLoss.backward(new short[0], V, new int[0], new int[] {0}, none, new float[0],
        new float[0], null, SPEC, new short[0]);
    try (FloatPointer z = new FloatPointer(1);
        IntPointer t = new IntPointer(1);
        IntPointer o = new IntPointer(new int[] {0})) {
      NativeBatch empty = NativeBatch.builder().logits(z, 0, V).targets(t).offsets(o, 0).build();
      // No rows and no samples: no address is read, so 0 is accepted for every one of them.
      TokenLoss.backward(empty, 0L, 0L, 0L, 0L, 0L, SPEC, NativeGrad.inPlace(empty));
    }
  }

  /**
   * w = {1, 2}, no entropy term, objective spec (SUM, NONE, c = 1): the gradient is
   * w_r (p - onehot) = {-1/2, 1/2} for row 0 and 2 {1/4, -1/4} for row 1.
   */
  @Test
  void everyOverloadWritesTheHandWorkedGradientAndRejectsBadSizes() {
    SampleStats st = FusedLoss.forward(LOGITS, V, TARGETS, OFFSETS, SPEC);
    float[] c = {1f};
    float[] w = {1f, 2f};
    float[] want = {-0.5f, 0.5f, 0.5f, -0.5f};
    short[] logits16 = new short[4];
    for (int i = 0; i < 4; i++) {
      logits16[i] = (short) (Float.floatToIntBits(LOGITS[i]) >>> 16);
    }
    float[] g = new float[4];
    TokenLoss.backward(LOGITS, V, TARGETS, OFFSETS, st, c, w, null, SPEC, g);
    assertArrayEquals(want, g, 1e-6f);

    assertNames("coefficients.length = 2",
        () -> TokenLoss.backward(LOGITS, V, TARGETS, OFFSETS, st, new float[] {1f, 1f}, w, null,
            SPEC, new float[4]));
    assertNames("rowWeights.length = 3", () -> TokenLoss.backward(logits16, V, TARGETS, OFFSETS,
        st, c, new float[] {1f, 2f, 3f}, null, SPEC, new short[4]));
    assertNames("grad.length = 5", () -> TokenLoss.backward(logits16, V, TARGETS, OFFSETS, st, c,
        w, null, SPEC, new short[5]));
    assertNames("targets[1] = 2", () -> TokenLoss.backward(LOGITS, V, BAD_TARGETS, OFFSETS, st, c,
        w, null, SPEC, new float[4]));
    assertNames("targets[1] = 2", () -> TokenLoss.backward(logits16, V, BAD_TARGETS, OFFSETS, st,
        c, w, null, SPEC, new short[4]));

    try (FloatPointer z = new FloatPointer(LOGITS);
        IntPointer t = new IntPointer(TARGETS);
        IntPointer bad = new IntPointer(BAD_TARGETS);
        IntPointer o = new IntPointer(OFFSETS);
        FloatPointer lse = new FloatPointer(st.rowLse());
        FloatPointer wp = new FloatPointer(w);
        FloatPointer cp = new FloatPointer(c);
        FloatPointer gp = new FloatPointer(4)) {
      NativeBatch b = NativeBatch.builder().logits(z, 2, V).targets(t).offsets(o, 1).build();
      NativeBatch badBatch =
          NativeBatch.builder().logits(z, 2, V).targets(bad).offsets(o, 1).build();
      NativeGrad grad = NativeGrad.of(gp, V);
      TokenLoss.backward(b, st, c, w, null, SPEC, grad);
      for (int i = 0; i < 4; i++) {
        assertEquals(want[i], gp.get(i), 1e-6f, "grad[" + i + "]");
      }
      TokenLoss.backward(b, lse.address(), 0L, cp.address(), wp.address(), 0L, SPEC, grad);
      for (int i = 0; i < 4; i++) {
        assertEquals(want[i], gp.get(i), 1e-6f, "grad[" + i + "] (addresses)");
      }

      assertNames("batch is null", () -> TokenLoss.backward(null, st, c, w, null, SPEC, grad));
      assertNames("batch is null",
          () -> TokenLoss.backward(null, 1L, 0L, 1L, 1L, 0L, SPEC, grad));
      assertNames("rowWeights.length = 3",
          () -> TokenLoss.backward(b, st, c, new float[] {1f, 2f, 3f}, null, SPEC, grad));
      assertNames("coefficients.length = 2",
          () -> TokenLoss.backward(b, st, new float[] {1f, 1f}, w, null, SPEC, grad));
      assertNames("rowLse address is 0", () -> TokenLoss.backward(b, 0L, 0L, cp.address(),
          wp.address(), 0L, SPEC, grad));
      assertNames("rowWeights address is 0", () -> TokenLoss.backward(b, lse.address(), 0L,
          cp.address(), 0L, 0L, SPEC, grad));
      assertNames("rowEntropy address is 0", () -> TokenLoss.backward(b, lse.address(), 0L,
          cp.address(), wp.address(), wp.address(), SPEC, grad));
      assertNames("coefficients address is 0", () -> TokenLoss.backward(b, lse.address(), 0L, 0L,
          wp.address(), 0L, SPEC, grad));
      assertNames("targets[1] = 2",
          () -> TokenLoss.backward(badBatch, st, c, w, null, SPEC, grad));
      assertNames("targets[1] = 2", () -> TokenLoss.backward(badBatch, lse.address(), 0L,
          cp.address(), wp.address(), 0L, SPEC, grad));
    }
  }
}
