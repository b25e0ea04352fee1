package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.Test;

/**
 * {@link RowPartials} and {@link ShardedLoss} on numbers worked by hand: the online-softmax merge
 * of two partial states (docs/design.md §3), the normaliser D of the statistics call, and the
 * argument checks of every sharded entry point (each names its argument; coefficients and
 * partials of the wrong size are rejected in Java, targets outside the vocabulary by the library).
 */
class ShardedPartialsHandWorkedTest {
  private static final float E = 1e-6f;

  private static void fill(RowPartials p, float m, float d, float s, float sum, float target) {
    p.max()[0] = m;
    p.sumExp()[0] = d;
    p.entropySum()[0] = s;
    p.logitSum()[0] = sum;
    p.targetLogit()[0] = target;
  }

  @Test
  void emptyPartialsAreAllowedAndNegativeRowsAreNot() {
    assertEquals(0, RowPartials.allocate(0).rows());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RowPartials.allocate(-1));
    assertTrue(e.getMessage().contains("rows = -1"), e.getMessage());
  }

  @Test
  void copyIsDeepAndEqual() {
    RowPartials p = RowPartials.allocate(1);
    fill(p, 1.5f, 2.5f, -0.75f, 6f, 0.125f);
    RowPartials c = p.copy();
    assertArrayEquals(new float[] {1.5f}, c.max());
    assertArrayEquals(new float[] {2.5f}, c.sumExp());
    assertArrayEquals(new float[] {-0.75f}, c.entropySum());
    assertArrayEquals(new float[] {6f}, c.logitSum());
    assertArrayEquals(new float[] {0.125f}, c.targetLogit());
    assertNotSame(p.max(), c.max());
    p.max()[0] = 9f;
    assertEquals(1.5f, c.max()[0]);
  }

  /**
   * a = (m 1, d 2, s 0.5), b = (m 3, d 1, s 0.1): the merged max is 3, a's side is rescaled by
   * e^(1 - 3) and its s shifted by (1 - 3) d_a, so d = 2 e^-2 + 1, s = e^-2 (0.5 - 2 * 2) + 0.1;
   * the logit sums add (3 + 4) and exactly one side owns the target (0.25).
   */
  @Test
  void mergeRescalesTheSmallerMaxByHand() {
    RowPartials into = RowPartials.allocate(1);
    RowPartials from = RowPartials.allocate(1);
    fill(into, 1f, 2f, 0.5f, 3f, 0.25f);
    fill(from, 3f, 1f, 0.1f, 4f, 0f);
    ShardedLoss.merge(into, from);
    double f = Math.exp(-2);
    assertEquals(3f, into.max()[0]);
    assertEquals(2 * f + 1, into.sumExp()[0], E);
    assertEquals(f * (0.5 - 2 * 2) + 0.1, into.entropySum()[0], E);
    assertEquals(7f, into.logitSum()[0]);
    assertEquals(0.25f, into.targetLogit()[0]);
  }

  @Test
  void mergeChecksBothSides() {
    RowPartials one = RowPartials.allocate(1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ShardedLoss.merge(null, one));
    assertTrue(e.getMessage().contains("into is null"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ShardedLoss.merge(RowPartials.allocate(0), one));
    assertTrue(e.getMessage().contains("from has 1 rows but 0 are needed"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ShardedLoss.combine((RowPartials) null, null));
    assertTrue(e.getMessage().contains("partials is null"), e.getMessage());
  }

  /**
   * One shard holding the whole vocabulary V = 2, two rows (one per sample), logits {0, 0} and
   * {0, ln 3}, targets 0 and 1: p(target) = 1/2 and 3/4, so the losses are ln 2 and ln(4/3).
   * Under WEIGHT_SUM with coefficients {2, 3}, D = 5 and total = (2 ln 2 + 3 ln(4/3)) / 5.
   */
  @Test
  void statisticsAndNormalizerOfOneShardByHand() {
    float ln3 = (float) Math.log(3);
    LossSpec spec = LossSpec.builder().tokenReduction(TokenReduction.SUM)
        .normalization(Normalization.WEIGHT_SUM).build();
    float[] c = {2f, 3f};
    try (FloatPointer z = new FloatPointer(0f, 0f, 0f, ln3);
        IntPointer t = new IntPointer(0, 1);
        IntPointer o = new IntPointer(0, 1, 2);
        FloatPointer g = new FloatPointer(4)) {
      NativeBatch shard = NativeBatch.builder().logits(z, 2, 2).targets(t).offsets(o, 2).build();
      RowPartials p = ShardedLoss.partialForward(shard, 0, 2, spec);
      LossResult r = ShardedLoss.stats(shard, 2, p, c, spec);
      assertEquals(5.0, r.normalizer(), 1e-12);
      assertEquals(Math.log(2), r.stats().loss(0), 1e-6);
      assertEquals(Math.log(4.0 / 3), r.stats().loss(1), 1e-6);
      assertEquals((2 * Math.log(2) + 3 * Math.log(4.0 / 3)) / 5, r.total(), 1e-6);
      assertEquals(5.0, ShardedLoss.localNormalizer(shard, 2, c, spec), 1e-12);
      // d total / dz = (c_s / D) (p - onehot): row 0 (2/5)(1/2 - 1, 1/2), row 1 (3/5)(1/4, 3/4 - 1)
      ShardedLoss.backward(shard, 0, 2, p, c, spec, NativeGrad.of(g, 2));
      float[] want = {-0.2f, 0.2f, 0.15f, -0.15f};
      for (int i = 0; i < 4; i++) {
        assertEquals(want[i], g.get(i), 1e-6, "grad[" + i + "]");
      }

      float[] three = {2f, 3f, 4f};
      for (Runnable call : new Runnable[] {
          () -> ShardedLoss.stats(shard, 2, p, three, spec),
          () -> ShardedLoss.localNormalizer(shard, 2, three, spec),
          () -> ShardedLoss.backward(shard, 0, 2, p, three, spec, NativeGrad.of(g, 2))}) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains("coefficients has 3 entries but the batch has 2"),
            e.getMessage());
      }
      RowPartials wide = RowPartials.allocate(3);
      for (Runnable call : new Runnable[] {
          () -> ShardedLoss.stats(shard, 2, wide, c, spec),
          () -> ShardedLoss.backward(shard, 0, 2, wide, c, spec, NativeGrad.of(g, 2))}) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains("combined has 3 rows but 2 are needed"), e.getMessage());
      }
      for (Runnable call : new Runnable[] {
          () -> ShardedLoss.partialForward(null, 0, 2, spec),
          () -> ShardedLoss.stats(null, 2, p, c, spec),
          () -> ShardedLoss.localNormalizer(null, 2, c, spec),
          () -> ShardedLoss.backward(null, 0, 2, p, c, spec, NativeGrad.of(g, 2))}) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains("batch is null"), e.getMessage());
      }
    }
  }

  /** A target outside [0, vocabTotal) is the library's rejection, surfaced as an exception. */
  @Test
  void targetOutsideTheVocabularyIsRejectedByTheLibrary() {
    LossSpec spec = LossSpec.builder().normalization(Normalization.WEIGHT_SUM).build();
    float[] c = {1f};
    try (FloatPointer z = new FloatPointer(0f, 0f);
        IntPointer t = new IntPointer(new int[] {2});
        IntPointer o = new IntPointer(0, 1)) {
      NativeBatch shard = NativeBatch.builder().logits(z, 1, 2).targets(t).offsets(o, 1).build();
      RowPartials p = RowPartials.allocate(1);
      fill(p, 0f, 2f, 0f, 0f, 0f);
      for (Runnable call : new Runnable[] {
          () -> ShardedLoss.stats(shard, 2, p, c, spec),
          () -> ShardedLoss.localNormalizer(shard, 2, c, spec)}) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains("targets[0] = 2"), e.getMessage());
      }
    }
  }
}
