package dev.reweigh.reliability;

import dev.reweigh.LossSpec;
import dev.reweigh.Normalization;
import dev.reweigh.TokenReduction;
import dev.reweigh.testkit.Bf16;
import java.util.Random;

/** Fixed random problems shared by the concurrency, determinism and leak suites. */
final class Problems {
  final int rows;
  final int vocab;
  final float[] logits;
  final short[] logitsBf16;
  final int[] targets;
  final int[] offsets;
  final float[] coefficients;
  final LossSpec spec;

  /**
   * rows x vocab logits ~ N(0, 3^2), about 1 row in 8 ignored, samples of 1..12 rows (some
   * empty), coefficients of both signs, every option on (smoothing, z-loss, softcap, scale, SUM,
   * TOKENS) so every code path of the kernels runs.
   */
  Problems(long seed, int rows, int vocab) {
    Random rnd = new Random(seed);
    this.rows = rows;
    this.vocab = vocab;
    logits = new float[rows * vocab];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) (3 * rnd.nextGaussian());
    }
    logitsBf16 = Bf16.bits(logits);
    targets = new int[rows];
    for (int r = 0; r < rows; r++) {
      targets[r] = rnd.nextInt(8) == 0 ? -100 : rnd.nextInt(vocab);
    }
    int[] cuts = new int[rows + 2];
    int n = 0;
    int at = 0;
    cuts[n++] = 0;
    while (at < rows) {
      at = Math.min(rows, at + (rnd.nextInt(10) == 0 ? 0 : 1 + rnd.nextInt(12)));
      cuts[n++] = at;
      if (n == cuts.length) {
        break;
      }
    }
    cuts[n - 1] = rows;
    offsets = java.util.Arrays.copyOf(cuts, n);
    coefficients = new float[offsets.length - 1];
    for (int s = 0; s < coefficients.length; s++) {
      coefficients[s] = (rnd.nextBoolean() ? 1 : -1) * (0.25f + rnd.nextFloat());
    }
    spec = LossSpec.builder().labelSmoothing(0.05f).zLoss(1e-4f).softcap(20f).logitScale(1.1f)
        .tokenReduction(TokenReduction.SUM).normalization(Normalization.TOKENS).build();
  }
}
