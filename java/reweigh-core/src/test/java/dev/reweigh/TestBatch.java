package dev.reweigh;

import java.util.Random;

/** A random batch: logits, targets (some ignored), offsets (some samples empty), coefficients. */
final class TestBatch {
  final int rows;
  final int vocab;
  final float[] logits;
  final int[] targets;
  final int[] offsets;
  final float[] coefficients;

  private TestBatch(int rows, int vocab, float[] logits, int[] targets, int[] offsets,
      float[] coefficients) {
    this.rows = rows;
    this.vocab = vocab;
    this.logits = logits;
    this.targets = targets;
    this.offsets = offsets;
    this.coefficients = coefficients;
  }

  int samples() {
    return offsets.length - 1;
  }

  /**
   * rows x vocab logits ~ N(0, scale^2); about 1 row in 8 ignored (-100); samples of random
   * length, some empty; coefficients in [0.1, 2), one in five negative when {@code negative}
   * (DPO's rejected side; not valid under WEIGHT_SUM).
   */
  static TestBatch random(long seed, int rows, int vocab, double scale, boolean negative) {
    Random rnd = new Random(seed);
    float[] logits = new float[rows * vocab];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) (rnd.nextGaussian() * scale);
    }
    int[] targets = new int[rows];
    for (int r = 0; r < rows; r++) {
      targets[r] = rnd.nextInt(8) == 0 ? -100 : rnd.nextInt(vocab);
    }
    int samples = rows == 0 ? 1 : 1 + rnd.nextInt(Math.max(1, rows / 2) + 1);
    int[] offsets = new int[samples + 1];
    for (int s = 1; s < samples; s++) {
      offsets[s] = rnd.nextInt(rows + 1);
    }
    offsets[samples] = rows;
    java.util.Arrays.sort(offsets);
    float[] coefficients = new float[samples];
    for (int s = 0; s < samples; s++) {
      coefficients[s] = (float) (0.1 + 1.9 * rnd.nextDouble());
      if (negative && rnd.nextInt(5) == 0) {
        coefficients[s] = -coefficients[s] * 0.25f;
      }
    }
    return new TestBatch(rows, vocab, logits, targets, offsets, coefficients);
  }

  /** Fixed shape with explicit contents. */
  static TestBatch of(int vocab, float[] logits, int[] targets, int[] offsets,
      float[] coefficients) {
    return new TestBatch(targets.length, vocab, logits, targets, offsets, coefficients);
  }
}
