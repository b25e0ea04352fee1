package dev.reweigh;

import static dev.reweigh.testkit.Rejects.assertIae;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The LossSpec builder: every setter's accepted range, edges included, the values handed to the
 * native options struct (checked against the codes of native/include/reweigh/reweigh.h written
 * out here), and value semantics.
 */
class LossSpecTest {

  @Test
  void defaultsAreDocumented() {
    LossSpec d = LossSpec.defaults();
    assertSame(d, LossSpec.defaults());
    assertEquals(-100, d.ignoreIndex());
    assertEquals(0f, d.labelSmoothing());
    assertEquals(0f, d.zLoss());
    assertEquals(0f, d.softcap());
    assertEquals(1f, d.logitScale());
    assertEquals(TokenReduction.MEAN, d.tokenReduction());
    assertEquals(Normalization.WEIGHT_SUM, d.normalization());
    assertEquals(1.0, d.normalizer());
    assertFalse(d.checkFinite());
    assertEquals(d, LossSpec.builder().build());
  }

  @Test
  void settersAcceptTheirEdges() {
    LossSpec s = LossSpec.builder().labelSmoothing(0f).labelSmoothing(1f).zLoss(0f).softcap(0f)
        .logitScale(Float.MIN_VALUE).build();
    assertEquals(1f, s.labelSmoothing());
    assertEquals(Float.MIN_VALUE, s.logitScale());
    assertEquals(Float.MAX_VALUE, LossSpec.builder().zLoss(Float.MAX_VALUE).build().zLoss());
    assertEquals(Float.MAX_VALUE, LossSpec.builder().softcap(Float.MAX_VALUE).build().softcap());
    assertEquals(-Double.MAX_VALUE, LossSpec.builder().normalizer(-Double.MAX_VALUE).build()
        .normalizer());
    assertEquals(Double.MIN_VALUE, LossSpec.builder().normalizer(Double.MIN_VALUE).build()
        .normalizer());
  }

  @Test
  void settersRejectOutOfRangeValues() {
    assertIae(() -> LossSpec.builder().labelSmoothing(-1e-7f), "labelSmoothing", "[0, 1]");
    assertIae(() -> LossSpec.builder().labelSmoothing(Math.nextUp(1f)), "labelSmoothing");
    assertIae(() -> LossSpec.builder().labelSmoothing(Float.NaN), "labelSmoothing");
    assertIae(() -> LossSpec.builder().zLoss(-Float.MIN_VALUE), "zLoss", ">= 0");
    assertIae(() -> LossSpec.builder().zLoss(Float.NaN), "zLoss");
    assertIae(() -> LossSpec.builder().zLoss(Float.POSITIVE_INFINITY), "zLoss", "finite");
    assertIae(() -> LossSpec.builder().softcap(-1f), "softcap");
    assertIae(() -> LossSpec.builder().softcap(Float.NaN), "softcap");
    assertIae(() -> LossSpec.builder().softcap(Float.POSITIVE_INFINITY), "softcap");
    assertIae(() -> LossSpec.builder().logitScale(0f), "logitScale", "> 0");
    assertIae(() -> LossSpec.builder().logitScale(-2f), "logitScale");
    assertIae(() -> LossSpec.builder().logitScale(Float.NaN), "logitScale");
    assertIae(() -> LossSpec.builder().logitScale(Float.POSITIVE_INFINITY), "logitScale");
    assertIae(() -> LossSpec.builder().normalizer(0.0), "normalizer", "nonzero");
    assertIae(() -> LossSpec.builder().normalizer(-0.0), "normalizer");
    assertIae(() -> LossSpec.builder().normalizer(Double.NaN), "normalizer");
    assertIae(() -> LossSpec.builder().normalizer(Double.NEGATIVE_INFINITY), "normalizer");
    assertThrows(NullPointerException.class, () -> LossSpec.builder().tokenReduction(null));
    assertThrows(NullPointerException.class, () -> LossSpec.builder().normalization(null));
  }

  /** A rejected value leaves the builder as it was. */
  @Test
  void rejectedValueLeavesTheBuilderUnchanged() {
    LossSpec.Builder b = LossSpec.builder().labelSmoothing(0.25f).normalizer(3.0);
    assertThrows(IllegalArgumentException.class, () -> b.labelSmoothing(2f));
    assertThrows(IllegalArgumentException.class, () -> b.normalizer(0.0));
    LossSpec s = b.build();
    assertEquals(0.25f, s.labelSmoothing());
    assertEquals(3.0, s.normalizer());
    assertEquals(Normalization.EXPLICIT, s.normalization());
  }

  /**
   * The native options struct: floats {eps, lambda, softcap, scale, D} and ints {ignore index,
   * token reduction, normalisation, check finite}, with reweigh.h's codes: MEAN 0, SUM 1;
   * WEIGHT_SUM 0, TOKENS 1, SAMPLES 2, NONE 3, EXPLICIT 4.
   */
  @Test
  void nativeOptionsCarryEveryFieldWithTheHeaderCodes() {
    LossSpec s = LossSpec.builder().ignoreIndex(7).labelSmoothing(0.125f).zLoss(0.5f)
        .softcap(30f).logitScale(0.25f).tokenReduction(TokenReduction.SUM).normalizer(2.5)
        .checkFinite(true).build();
    assertArrayEquals(new double[] {0.125, 0.5, 30, 0.25, 2.5}, s.nativeFloats, 0);
    assertArrayEquals(new long[] {7, 1, 4, 1}, s.nativeInts);
    List<Normalization> modes = List.of(Normalization.WEIGHT_SUM, Normalization.TOKENS,
        Normalization.SAMPLES, Normalization.NONE);
    for (int code = 0; code < modes.size(); code++) {
      LossSpec m = LossSpec.builder().normalization(modes.get(code)).build();
      assertArrayEquals(new long[] {-100, 0, code, 0}, m.nativeInts, modes.get(code).name());
    }
  }

  @Test
  void toBuilderRoundTripsAndValueSemantics() {
    LossSpec s = LossSpec.builder().ignoreIndex(3).labelSmoothing(0.1f).zLoss(1e-4f).softcap(15f)
        .logitScale(0.7f).tokenReduction(TokenReduction.SUM).normalizer(-4.0).checkFinite(true)
        .build();
    assertTrue(s.checkFinite());
    LossSpec copy = s.toBuilder().build();
    assertEquals(s, copy);
    assertEquals(s.hashCode(), copy.hashCode());
    assertEquals(s.toString(), copy.toString());
    assertArrayEquals(s.nativeFloats, copy.nativeFloats, 0);
    assertArrayEquals(s.nativeInts, copy.nativeInts);
    assertNotEquals(s, null);
    assertNotEquals(s, "LossSpec");
    List<LossSpec> oneFieldDifferent = List.of(
        s.toBuilder().ignoreIndex(4).build(),
        s.toBuilder().labelSmoothing(0.2f).build(),
        s.toBuilder().zLoss(2e-4f).build(),
        s.toBuilder().softcap(16f).build(),
        s.toBuilder().logitScale(0.8f).build(),
        s.toBuilder().tokenReduction(TokenReduction.MEAN).build(),
        s.toBuilder().normalization(Normalization.TOKENS).build(),
        s.toBuilder().normalizer(-5.0).build(),
        s.toBuilder().checkFinite(false).build());
    for (LossSpec other : oneFieldDifferent) {
      assertNotEquals(s, other, other.toString());
      assertNotEquals(s.hashCode(), other.hashCode(), other.toString());
    }
  }

  @Test
  void toStringShowsTheExplicitNormaliserOnlyInThatMode() {
    String explicit = LossSpec.builder().normalizer(2.5).build().toString();
    assertTrue(explicit.contains("normalization=EXPLICIT"), explicit);
    assertTrue(explicit.contains("normalizer=2.5"), explicit);
    String tokens = LossSpec.builder().normalization(Normalization.TOKENS).build().toString();
    assertFalse(tokens.contains("normalizer="), tokens);
    assertTrue(tokens.contains("ignoreIndex=-100") && tokens.contains("labelSmoothing=0.0")
        && tokens.contains("logitScale=1.0") && tokens.contains("checkFinite=false"), tokens);
  }

  @Test
  void deviceValues() {
    assertEquals("cpu", Device.CPU.toString());
    assertFalse(Device.CPU.isCuda());
    assertEquals(Device.Kind.CPU, Device.CPU.kind());
    Device c = Device.cuda(2);
    assertTrue(c.isCuda());
    assertEquals(2, c.index());
    assertEquals("cuda:2", c.toString());
    assertEquals(c, Device.cuda(2));
    assertEquals(c.hashCode(), Device.cuda(2).hashCode());
    assertNotEquals(c, Device.cuda(1));
    assertNotEquals(Device.cuda(0), Device.CPU);
    assertNotEquals(c, "cuda:2");
    assertEquals(0, Device.cuda(0).index());
    assertIae(() -> Device.cuda(-1), "ordinal = -1");
    assertEquals(0, Device.Kind.CPU.code);
    assertEquals(1, Device.Kind.CUDA.code);
    assertEquals(0, TokenReduction.MEAN.code);
    assertEquals(1, TokenReduction.SUM.code);
  }
}
