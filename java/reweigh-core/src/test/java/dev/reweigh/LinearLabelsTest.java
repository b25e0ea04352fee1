package dev.reweigh;

import static dev.reweigh.testkit.Rejects.assertIae;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The fused linear driver's host side (docs/design.md §6) on hand-worked labels: 3 samples over
 * rows [0, 2), [2, 5), [5, 5) (empty), targets {1, -100, 0, 3, 2} with V = 4, so the counts are
 * 1, 3, 0.
 */
class LinearLabelsTest {
  private static final long[] TARGETS = {1, -100, 0, 3, 2};
  private static final long[] OFFSETS = {0, 2, 5, 5};
  private static final float[] C = {2.0f, 0.5f, 7.0f};

  private static LinearLabels labels(LossSpec spec) {
    return LinearLabels.of(TARGETS, OFFSETS, 4, spec);
  }

  @Test
  void countsAndNormalizerPerMode() {
    LinearLabels l = labels(LossSpec.defaults());
    assertEquals(1, l.tokenCount(0));
    assertEquals(3, l.tokenCount(1));
    assertEquals(0, l.tokenCount(2));
    // WEIGHT_SUM skips the empty sample's 7: 2 + 0.5.
    assertEquals(2.5, l.normalizer(C), 0);
    assertEquals(4.0, labels(spec(Normalization.TOKENS)).normalizer(C), 0);
    assertEquals(2.0, labels(spec(Normalization.SAMPLES)).normalizer(C), 0);
    assertEquals(1.0, labels(spec(Normalization.NONE)).normalizer(C), 0);
    assertEquals(7.5, labels(LossSpec.builder().normalizer(7.5).build()).normalizer(C), 0);
  }

  private static LossSpec spec(Normalization n) {
    return LossSpec.builder().normalization(n).build();
  }

  @Test
  void rowCoefficientsCarryTheSampleMeanOrSum() {
    // MEAN: c_s / count_s on each of the sample's rows (ignored rows included: the kernel skips
    // them); the empty sample has no rows.
    assertArrayEquals(new float[] {2.0f, 2.0f, 0.5f / 3, 0.5f / 3, 0.5f / 3},
        labels(LossSpec.defaults()).rowCoefficients(C));
    LossSpec sum = LossSpec.builder().tokenReduction(TokenReduction.SUM).build();
    assertArrayEquals(new float[] {2.0f, 2.0f, 0.5f, 0.5f, 0.5f}, labels(sum).rowCoefficients(C));
    LossSpec row = labels(LossSpec.defaults()).rowSpec(2.5);
    assertEquals(TokenReduction.SUM, row.tokenReduction());
    assertEquals(2.5, row.normalizer(), 0);
  }

  @Test
  void weightedTotalSkipsSamplesWithoutCountedRows() {
    LinearStats st = new LinearStats(new double[] {1.5, 2.0, 9.0}, new double[3], new long[3],
        new double[3]);
    // (2 * 1.5 + 0.5 * 2.0) / 2.5; the empty sample's 7 * 9 never enters.
    assertEquals(1.6, labels(LossSpec.defaults()).weightedTotal(st, C, 2.5), 1e-15);
  }

  @Test
  void rejectsBadLabelsAndCoefficients() {
    assertIae(() -> LinearLabels.of(new long[] {1, 4}, new long[] {0, 2}, 4, LossSpec.defaults()),
        "targets[1] = 4");
    assertIae(() -> LinearLabels.of(TARGETS, new long[] {0, 3, 2, 5}, 4, LossSpec.defaults()),
        "offsets[2] = 2");
    assertIae(() -> LinearLabels.of(TARGETS, new long[] {0, 2, 4}, 4, LossSpec.defaults()),
        "offsets[2] = 4", "rows = 5");
    assertIae(() -> labels(LossSpec.defaults()).normalizer(new float[] {1, -1, 0}),
        "coefficients[1] = -1.0", "WEIGHT_SUM");
    assertIae(() -> labels(LossSpec.defaults()).normalizer(new float[] {1, Float.NaN, 0}),
        "coefficients[1] = NaN");
    assertIae(() -> labels(LossSpec.defaults()).rowCoefficients(new float[2]),
        "coefficients.length = 2");
    // WEIGHT_SUM over the counted samples only: 0 + 0 (the empty sample's 7 is skipped).
    assertIae(() -> labels(LossSpec.defaults()).normalizer(new float[] {0, 0, 7}),
        "normalizer D = 0.0", "WEIGHT_SUM");
  }

  @Test
  void chunkRowsFitTheBudgetInWholeTiles() {
    // 1000 rows of V = 1000 fp32 (4000 bytes each): 1 MiB holds 262.1 rows -> 256.
    assertEquals(256, FusedLinearDriver.chunkRows(1000, 1000, 4, 1 << 20));
    // bf16 halves the row: 524.3 -> 512.
    assertEquals(512, FusedLinearDriver.chunkRows(1000, 1000, 2, 1 << 20));
    // Fewer than 64 rows fit: no rounding; every row fits: all rows.
    assertEquals(50, FusedLinearDriver.chunkRows(1000, 1000, 4, 200_000));
    assertEquals(1000, FusedLinearDriver.chunkRows(1000, 1000, 4, 1L << 30));
    assertEquals(1, FusedLinearDriver.chunkRows(1000, 1000, 4, 10));
    assertIae(() -> FusedLinearDriver.chunkRows(10, 10, 4, 0), "chunkBytes = 0");
  }
}
