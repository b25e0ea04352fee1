package dev.reweigh;

import static dev.reweigh.testkit.Rejects.assertIae;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.Test;

/**
 * Every bad input of docs/design.md §3.4 and §4: an IllegalArgumentException whose message names
 * the argument (and the first bad index), thrown before anything is written.
 */
class BadInputTest {
  static final int V = 6;

  final float[] logits = new float[4 * V];
  final int[] targets = {1, 2, -100, 5};
  final int[] offsets = {0, 2, 4};
  final float[] coefficients = {1f, 2f};

  BadInputTest() {
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (i % 7) * 0.3f;
    }
  }

  /** Runs forwardBackward expecting IAE mentioning every fragment, and grad untouched. */
  void rejects(float[] lg, int vocab, int[] tg, int[] off, float[] c, LossSpec spec,
      String... fragments) {
    float[] grad = new float[lg == null ? 4 * V : lg.length];
    Arrays.fill(grad, 123f);
    float[] before = grad.clone();
    assertIae(() -> FusedLoss.forwardBackward(lg, vocab, tg, off, c, spec, grad), fragments);
    assertArrayEquals(before, grad, "grad must be untouched when validation fails");
  }

  @Test
  void targetOutOfRangeNamesIndex() {
    rejects(logits, V, new int[] {1, 2, -100, 6}, offsets, coefficients, LossSpec.defaults(),
        "targets[3] = 6", "outside [0, vocab = 6)");
    rejects(logits, V, new int[] {1, -1, -100, 5}, offsets, coefficients, LossSpec.defaults(),
        "targets[1] = -1");
  }

  @Test
  void customIgnoreIndexIsHonouredAndOldOneRejected() {
    LossSpec spec = LossSpec.builder().ignoreIndex(-1).build();
    rejects(logits, V, targets, offsets, coefficients, spec, "targets[2] = -100");
    float[] grad = new float[logits.length];
    FusedLoss.forwardBackward(logits, V, new int[] {1, 2, -1, 5}, offsets, coefficients, spec, grad);
  }

  @Test
  void malformedOffsets() {
    rejects(logits, V, targets, new int[] {1, 2, 4}, coefficients, LossSpec.defaults(),
        "offsets[0] = 1");
    rejects(logits, V, targets, new int[] {0, 3, 2, 4}, new float[] {1, 1, 1},
        LossSpec.defaults(), "offsets[2] = 2", "nondecreasing");
    rejects(logits, V, targets, new int[] {0, 2, 3}, coefficients, LossSpec.defaults(),
        "offsets[2] = 3", "rows = 4");
    rejects(logits, V, targets, new int[0], new float[0], LossSpec.defaults(), "offsets.length");
  }

  @Test
  void shapeMismatches() {
    rejects(new float[4 * V - 1], V, targets, offsets, coefficients, LossSpec.defaults(),
        "logits.length = 23");
    rejects(logits, 0, targets, offsets, coefficients, LossSpec.defaults(), "vocab = 0");
    rejects(logits, V, targets, offsets, new float[] {1f}, LossSpec.defaults(),
        "coefficients.length = 1");
    assertIae(() -> FusedLoss.forwardBackward(logits, V, targets, offsets, coefficients,
        LossSpec.defaults(), new float[3]), "grad.length = 3");
  }

  @Test
  void nullArguments() {
    rejects(null, V, targets, offsets, coefficients, LossSpec.defaults(), "logits is null");
    rejects(logits, V, null, offsets, coefficients, LossSpec.defaults(), "targets is null");
    rejects(logits, V, targets, null, coefficients, LossSpec.defaults(), "offsets is null");
    rejects(logits, V, targets, offsets, null, LossSpec.defaults(), "coefficients is null");
    rejects(logits, V, targets, offsets, coefficients, null, "spec is null");
  }

  @Test
  void nonFiniteCoefficientsNameIndex() {
    rejects(logits, V, targets, offsets, new float[] {1f, Float.NaN}, LossSpec.defaults(),
        "coefficients[1]", "not finite");
    rejects(logits, V, targets, offsets, new float[] {Float.POSITIVE_INFINITY, 1f},
        LossSpec.defaults(), "coefficients[0]");
  }

  @Test
  void signedWeightSumAndExplicitZeroNormaliser() {
    // A signed WEIGHT_SUM (a DPO pair) can approach D = 0: the message points to NONE / EXPLICIT.
    rejects(logits, V, targets, offsets, new float[] {1f, -1f}, LossSpec.defaults(),
        "coefficients[1] = -1 is negative under normalization WEIGHT_SUM", "NONE",
        "explicit normalizer");
    assertIae(() -> LossSpec.builder().normalizer(0.0), "normalizer = 0.0");
    assertIae(() -> LossSpec.builder().normalizer(Double.NaN), "normalizer = NaN");
  }

  @Test
  void badOptions() {
    assertIae(() -> LossSpec.builder().labelSmoothing(1.5f), "labelSmoothing = 1.5");
    assertIae(() -> LossSpec.builder().labelSmoothing(Float.NaN), "labelSmoothing = NaN");
    assertIae(() -> LossSpec.builder().zLoss(-1f), "zLoss = -1.0");
    assertIae(() -> LossSpec.builder().softcap(Float.POSITIVE_INFINITY), "softcap");
    assertIae(() -> LossSpec.builder().logitScale(0f), "logitScale = 0.0");
  }

  @Test
  void backwardNeedsMatchingStats() {
    SampleStats other = FusedLoss.forward(new float[2 * V], V, new int[] {0, 1},
        new int[] {0, 2}, LossSpec.defaults());
    assertIae(() -> FusedLoss.backward(logits, V, targets, offsets, other, coefficients,
        LossSpec.defaults(), new float[logits.length]), "stats has 2 rows");
  }

  @Test
  void nonFiniteLogitsReportedWhenAsked() {
    float[] lg = logits.clone();
    lg[3 * V + 4] = Float.NaN; // row 3, column 4 (a counted row)
    LossSpec spec = LossSpec.builder().checkFinite(true).build();
    NonFiniteInputException e = assertThrows(NonFiniteInputException.class,
        () -> FusedLoss.forward(lg, V, targets, offsets, spec));
    assertTrue(e.getMessage().contains("row 3, column 4"), e.getMessage());
    // NaN on an ignored row (row 2) is not an error: the row counts nowhere.
    float[] ignored = logits.clone();
    ignored[2 * V] = Float.NaN;
    FusedLoss.forward(ignored, V, targets, offsets, spec);
  }

  /** The batch's arrays copied into native memory, freed after {@code test}. */
  private void withPointers(PointerTest test) {
    FloatPointer lg = new FloatPointer(logits);
    IntPointer tg = new IntPointer(targets);
    IntPointer off = new IntPointer(offsets);
    try {
      test.run(lg, tg, off);
    } finally {
      lg.deallocate();
      tg.deallocate();
      off.deallocate();
    }
  }

  /** A test over native copies of the logits, targets and offsets. */
  @FunctionalInterface
  private interface PointerTest {
    void run(FloatPointer lg, IntPointer tg, IntPointer off);
  }

  @Test
  void deallocatedOrTooSmallPointers() {
    withPointers((lg, tg, off) -> {
      assertIae(() -> NativeBatch.builder().logits(lg, 5, V).targets(tg).offsets(off, 2).build(),
          "logits pointer holds 24 elements", "needs 30");
      FloatPointer freed = new FloatPointer(4L * V);
      freed.deallocate();
      assertIae(() -> NativeBatch.builder().logits(freed, 4, V).targets(tg).offsets(off, 2)
          .build(), "logits pointer is null or deallocated");
      assertIae(() -> NativeBatch.builder().logits(lg, 4, V).targets(tg).offsets(off, 3).build(),
          "offsets pointer holds 3 elements", "needs 4");
      NativeBatch ok = NativeBatch.builder().logits(lg, 4, V).targets(tg).offsets(off, 2).build();
      assertIae(() -> FusedLoss.forwardBackward(ok, coefficients, LossSpec.defaults(),
          NativeGrad.of(new FloatPointer(3), V)), "grad pointer holds 3 elements");
      assertIae(() -> FusedLoss.forwardBackward(ok, coefficients, LossSpec.defaults(),
          NativeGrad.ofAddress(0, V)), "grad address is 0");
    });
  }

  @Test
  void partialOverlapOfGradAndLogitsIsRejected() {
    withPointers((lg, tg, off) -> {
      NativeBatch batch = NativeBatch.builder().logits(lg, 4, V).targets(tg).offsets(off, 2).build();
      long shifted = lg.address() + 4;
      assertIae(() -> FusedLoss.forwardBackward(batch, coefficients, LossSpec.defaults(),
          NativeGrad.ofAddress(shifted, V)), "grad overlaps logits");
    });
  }
}
