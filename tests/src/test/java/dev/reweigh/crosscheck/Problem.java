package dev.reweigh.crosscheck;

import dev.reweigh.LossSpec;
import dev.reweigh.testkit.OptionGrid;
import dev.reweigh.testkit.RefOptions;
import dev.reweigh.testkit.Reference64;
import java.util.SplittableRandom;

/**
 * One random cross-check problem: packed logits [rows, V] in float32, int64 targets (some equal to
 * the ignore index), sample offsets and random (not all-ones) coefficients, plus the definitions of
 * docs/design.md §3 that both sides of a comparison share: which rows count, the denominator D and
 * the per-row weight {@code c_s / (n_s D)} (MEAN) or {@code c_s / D} (SUM) that turns a peer's
 * per-row losses into Reweigh's objective.
 */
final class Problem {
  final Shape shape;
  /** The options under test, built from {@link #o}; only Reweigh's calls read it. */
  final LossSpec spec;
  /** The same options as literals: what the peers and the definitions below read. */
  final RefOptions o;
  final String optionsLabel;
  final int rows;
  final int v;
  final float[] logits;
  final long[] targets;
  final long[] offsets;
  final float[] coefficients;

  /** A labelled shape: per-sample row counts, vocabulary, share of ignored rows, logit scale. */
  record Shape(String label, int[] lengths, int v, double ignoreShare, double logitScale,
      boolean allIgnoredSample, boolean padded) {
    @Override
    public String toString() {
      return label;
    }
  }

  Problem(Shape shape, OptionGrid.Named options, long seed) {
    this.shape = shape;
    this.o = options.o();
    this.spec = options.spec();
    this.optionsLabel = options.label();
    SplittableRandom rnd = new SplittableRandom(seed);
    this.v = shape.v();
    int samples = shape.lengths().length;
    this.offsets = new long[samples + 1];
    for (int s = 0; s < samples; s++) {
      offsets[s + 1] = offsets[s] + shape.lengths()[s];
    }
    this.rows = (int) offsets[samples];
    this.logits = new float[rows * v];
    for (int i = 0; i < logits.length; i++) {
      // Sum of two uniforms: a smooth bump with tails, not all logits alike.
      logits[i] = (float) ((rnd.nextDouble() + rnd.nextDouble() - 1) * shape.logitScale());
    }
    this.targets = new long[rows];
    long ignore = o.ignoreIndex();
    for (int r = 0; r < rows; r++) {
      targets[r] = rnd.nextDouble() < shape.ignoreShare() ? ignore : rnd.nextInt(v);
    }
    if (shape.allIgnoredSample() && samples > 1) {
      for (long r = offsets[1]; r < offsets[2]; r++) {
        targets[(int) r] = ignore;
      }
    }
    this.coefficients = new float[samples];
    for (int s = 0; s < samples; s++) {
      double c = 0.1 + 1.9 * rnd.nextDouble();
      coefficients[s] = (float) (options.negative() && s % 2 == 1 ? -c : c);
    }
  }

  int samples() {
    return coefficients.length;
  }

  boolean counted(int r) {
    return targets[r] != o.ignoreIndex();
  }

  int tokenCount(int s) {
    int n = 0;
    for (long r = offsets[s]; r < offsets[s + 1]; r++) {
      n += counted((int) r) ? 1 : 0;
    }
    return n;
  }

  /** D of docs/design.md §3, from its definition (the kit's float64 reference). */
  double normalizer() {
    int[] counts = new int[samples()];
    for (int s = 0; s < counts.length; s++) {
      counts[s] = tokenCount(s);
    }
    return Reference64.normalizer(o, counts, Reference64.toDoubles(coefficients));
  }

  /** Weight of row r in the objective: c_s / (n_s D) for MEAN, c_s / D for SUM; 0 if ignored. */
  double[] rowWeights() {
    double d = normalizer();
    double[] w = new double[rows];
    for (int s = 0; s < samples(); s++) {
      int count = tokenCount(s);
      for (long r = offsets[s]; r < offsets[s + 1]; r++) {
        if (counted((int) r)) {
          double per = o.sum() ? 1.0 : 1.0 / count;
          w[(int) r] = coefficients[s] * per / d;
        }
      }
    }
    return w;
  }

  /**
   * The scale of the objective for its error measure: {@code sum_s |c_s loss_s| / |D|} with the
   * peer's per-sample losses, at least 1e-30.
   */
  double totalScale(double[] loss) {
    double sum = 0;
    for (int s = 0; s < samples(); s++) {
      sum += Math.abs(coefficients[s] * loss[s]);
    }
    return Math.max(sum / Math.abs(normalizer()), 1e-30);
  }

  /** Per-sample MEAN or SUM of per-row values over counted rows (0 for a sample with none). */
  double[] perSample(double[] rowValues, boolean mean) {
    double[] out = new double[samples()];
    for (int s = 0; s < samples(); s++) {
      double sum = 0;
      int n = 0;
      for (long r = offsets[s]; r < offsets[s + 1]; r++) {
        if (counted((int) r)) {
          sum += rowValues[(int) r];
          n++;
        }
      }
      out[s] = mean ? (n == 0 ? 0 : sum / n) : sum;
    }
    return out;
  }

  String describe() {
    return shape.label() + " / " + optionsLabel;
  }
}
