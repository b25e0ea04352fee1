package dev.reweigh;

import static dev.reweigh.testkit.Rejects.assertIae;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.nativeapi.ReweighNative;
import java.lang.reflect.Method;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.ShortPointer;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The boundary contract (docs/design.md §3): gradient element type, aliasing of outputs, the D = 0
 * micro-batch, signed weights under WEIGHT_SUM, critical regions and the CUDA facts.
 */
class BoundaryTest {
  static final int V = 5;
  static final float[] LOGITS = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 1, 2, 3, 4, 5, -1, 0, 1, 0, -1,
      3, 1, 4, 1, 5};
  static final int[] TARGETS = {0, -100, 4, 2};
  static final int[] OFFSETS = {0, 2, 4};

  static NativeBatch f32Batch(FloatPointer logits, IntPointer targets, IntPointer offsets) {
    return NativeBatch.builder().logits(logits, 4, V).targets(targets).offsets(offsets, 2).build();
  }

  @Test
  void gradElementTypeMustBeTheLogitsDtype() {
    try (FloatPointer logits = new FloatPointer(LOGITS);
        IntPointer targets = new IntPointer(TARGETS);
        IntPointer offsets = new IntPointer(OFFSETS);
        // Twice the bytes the kernel would write, so a wrongly accepted call corrupts nothing.
        ShortPointer shorts = new ShortPointer(2L * LOGITS.length);
        ShortPointer bf16 = new ShortPointer(LOGITS.length);
        FloatPointer floats = new FloatPointer(LOGITS.length)) {
      shorts.limit(LOGITS.length);
      NativeBatch batch = f32Batch(logits, targets, offsets);
      assertIae(() -> FusedLoss.forwardBackward(batch, new float[] {1f, 1f},
          LossSpec.defaults(), NativeGrad.of(shorts, V)), "ShortPointer", "F32");
      NativeBatch bfBatch = NativeBatch.builder().logitsBf16(bf16, 4, V).targets(targets)
          .offsets(offsets, 2).build();
      assertIae(() -> FusedLoss.forwardBackward(bfBatch, new float[] {1f, 1f},
          LossSpec.defaults(), NativeGrad.of(floats, V)), "FloatPointer", "BF16");
      // The matching types are accepted.
      FusedLoss.forwardBackward(batch, new float[] {1f, 1f}, LossSpec.defaults(),
          NativeGrad.of(floats, V));
      FusedLoss.forwardBackward(bfBatch, new float[] {1f, 1f}, LossSpec.defaults(),
          NativeGrad.of(bf16, V));
    }
  }

  @Test
  void heapGradMayNotBeTheCoefficients() {
    // vocab 1 and one row per sample: grad and coefficients have the same length.
    float[] c = {1f, 2f, 3f};
    float[] before = c.clone();
    assertIae(() -> FusedLoss.forwardBackward(new float[] {1f, 2f, 3f}, 1,
        new int[] {0, 0, 0}, new int[] {0, 1, 2, 3}, c, LossSpec.defaults(), c),
        "grad overlaps coefficients");
    assertArrayEquals(before, c);
  }

  @Test
  void nativeOutputsMayNotAliasInputsOrEachOther() {
    try (FloatPointer logits = new FloatPointer(LOGITS);
        IntPointer targets = new IntPointer(TARGETS);
        IntPointer offsets = new IntPointer(OFFSETS);
        FloatPointer coefficients = new FloatPointer(1f, 0.5f);
        FloatPointer a = new FloatPointer(64);
        FloatPointer b = new FloatPointer(64)) {
      NativeBatch batch = f32Batch(logits, targets, offsets);
      int[] targetsBefore = new int[4];
      assertIae(() -> FusedLoss.forward(batch, LossSpec.defaults(),
          NativeStats.builder().loss(targets.address()).build()),
          "stats.loss overlaps targets");
      targets.get(targetsBefore);
      assertArrayEquals(TARGETS, targetsBefore);
      assertIae(() -> FusedLoss.forward(batch, LossSpec.defaults(),
          NativeStats.builder().rowLse(a.address()).rowLogp(a.address() + 8).build()),
          "stats.rowLogp overlaps stats.rowLse");
      assertIae(() -> FusedLoss.forwardBackward(batch, coefficients.address(),
          LossSpec.defaults(), NativeGrad.ofAddress(offsets.address(), V),
          NativeStats.builder().build(), 0L), "grad overlaps offsets");
      assertIae(() -> FusedLoss.forwardBackward(batch, coefficients.address(),
          LossSpec.defaults(), NativeGrad.ofAddress(a.address(), V),
          NativeStats.builder().build(), coefficients.address()), "total overlaps coefficients");
      assertIae(() -> FusedLoss.backward(batch, b.address(),
          coefficients.address(), LossSpec.defaults(), NativeGrad.ofAddress(b.address(), V)),
          "grad overlaps rowLse");
      // Disjoint outputs and the in-place gradient are fine.
      FusedLoss.forwardBackward(batch, coefficients.address(), LossSpec.defaults(),
          NativeGrad.inPlace(batch), NativeStats.builder().rowLse(a.address())
              .loss(b.address()).build(), 0L);
    }
  }

  @ParameterizedTest
  @EnumSource(value = Normalization.class, names = {"WEIGHT_SUM", "TOKENS", "SAMPLES"})
  void allRowsIgnoredIsAZeroStepNotAnError(Normalization n) {
    LossSpec spec = LossSpec.builder().normalization(n).build();
    int[] ignored = {-100, -100, -100, -100};
    for (boolean inPlace : new boolean[] {false, true}) {
      float[] logits = LOGITS.clone();
      float[] grad = inPlace ? logits : new float[LOGITS.length];
      Arrays.fill(grad, 7f);
      LossResult r = FusedLoss.forwardBackward(logits, V, ignored, OFFSETS,
          new float[] {1f, 2f}, spec, grad);
      assertEquals(0.0, r.total());
      assertEquals(0.0, r.normalizer());
      assertArrayEquals(new float[LOGITS.length], grad, n + (inPlace ? " in place" : ""));
      assertEquals(2, r.stats().samples());
      assertEquals(0, r.stats().tokenCount(0));
      assertEquals(0.0, r.stats().loss(1));
    }
  }

  @Test
  void allCoefficientsZeroKeepsTheStatistics() {
    // An IWSI or rejection filter that kept nothing: the statistics still describe the batch.
    float[] grad = new float[LOGITS.length];
    Arrays.fill(grad, 7f);
    LossResult r = FusedLoss.forwardBackward(LOGITS, V, TARGETS, OFFSETS, new float[] {0f, 0f},
        LossSpec.defaults(), grad);
    SampleStats want = FusedLoss.forward(LOGITS, V, TARGETS, OFFSETS, LossSpec.defaults());
    assertEquals(0.0, r.total());
    assertEquals(0.0, r.normalizer());
    assertArrayEquals(new float[LOGITS.length], grad);
    for (int s = 0; s < 2; s++) {
      assertEquals(want.loss(s), r.stats().loss(s));
      assertEquals(want.logProbSum(s), r.stats().logProbSum(s));
      assertEquals(want.tokenCount(s), r.stats().tokenCount(s));
    }
    assertTrue(r.stats().loss(0) > 0);
  }

  @Test
  void normalizerIsTheOneTheTotalWasDividedBy() {
    float[] c = {1f, 0.5f};
    // Hand-worked D: sample 0 counts row 0 (row 1 ignored), sample 1 rows 2 and 3.
    double[] wantD = {1.5, 3, 2, 1, 7.5};
    Normalization[] ns = Normalization.values();
    for (int i = 0; i < ns.length; i++) {
      LossSpec.Builder b = LossSpec.builder();
      LossSpec spec = ns[i] == Normalization.EXPLICIT ? b.normalizer(7.5).build()
          : b.normalization(ns[i]).build();
      LossResult r = FusedLoss.forwardBackward(LOGITS, V, TARGETS, OFFSETS, c, spec,
          new float[LOGITS.length]);
      assertEquals(wantD[i], r.normalizer(), ns[i].toString());
      double weighted = c[0] * r.stats().loss(0) + c[1] * r.stats().loss(1);
      assertEquals(weighted / wantD[i], r.total(), 1e-6 * Math.abs(weighted), ns[i].toString());
    }
  }

  @Test
  void signedCoefficientsAreForNoneOrAnExplicitNormaliser() {
    float[] dpo = {1f, -1f};
    assertIae(() -> FusedLoss.forwardBackward(LOGITS, V, TARGETS, OFFSETS, dpo,
        LossSpec.defaults(), new float[LOGITS.length]), "coefficients[1] = -1 is negative",
        "NONE", "explicit normalizer");
    LossResult r = FusedLoss.forwardBackward(LOGITS, V, TARGETS, OFFSETS, dpo,
        LossSpec.builder().normalization(Normalization.NONE).build(), new float[LOGITS.length]);
    assertEquals(1.0, r.normalizer());
  }

  @Test
  void criticalRegionsOnlyWhereTheKernelReadsHeapLogits() {
    int kernels = 0;
    for (Method m : ReweighNative.class.getDeclaredMethods()) {
      if (!m.getName().startsWith("reweigh_jni_")) {
        continue;
      }
      kernels++;
      boolean heapLogits = m.getParameterTypes()[0].isArray();
      assertEquals(heapLogits, m.isAnnotationPresent(CriticalRegion.class),
          m + ": a critical region blocks the GC for the whole kernel, so only heap logits "
              + "(too large to copy) may hold one");
    }
    assertEquals(20, kernels);
  }

  @Test
  void zeroDevicesComeWithAReason() {
    String reason = Capabilities.cudaUnavailableReason();
    if (Capabilities.cudaDeviceCount() == 0) {
      assertFalse(reason.isEmpty(), "0 CUDA devices must be explained");
      if (!Capabilities.cudaCompiled()) {
        assertTrue(reason.contains("built without CUDA"), reason);
      }
    } else {
      assertEquals("", reason);
    }
  }

  @Test
  void longIndexPointersAreChecked() {
    try (FloatPointer logits = new FloatPointer(LOGITS);
        LongPointer targets = new LongPointer(0L, -100L, 4L, 2L);
        LongPointer offsets = new LongPointer(0L, 2L, 4L)) {
      NativeBatch batch = NativeBatch.builder().logits(logits, 4, V).targets(targets)
          .offsets(offsets, 2).build();
      assertIae(() -> FusedLoss.forward(batch, LossSpec.defaults(),
          NativeStats.builder().tokenCount(offsets.address()).build()),
          "stats.tokenCount overlaps offsets");
    }
  }
}
