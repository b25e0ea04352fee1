package dev.reweigh;

/**
 * The host side of a fused linear + cross-entropy (docs/design.md §6): targets and sample offsets
 * checked once, the per-sample token counts, the normaliser D and the per-row coefficients. All
 * of it depends only on targets, offsets and coefficients, so it is known before the first chunk
 * of logits exists, and every adapter's chunked driver shares it through {@link
 * FusedLinearDriver}.
 */
public final class LinearLabels {
  private final LossSpec spec;
  private final long[] offsets;
  private final long[] counts;
  private final long rows;

  private LinearLabels(long[] targets, long[] offsets, long vocab, LossSpec spec) {
    this.spec = spec;
    this.offsets = offsets.clone();
    this.rows = targets.length;
    checkOffsets(this.offsets, rows);
    int samples = offsets.length - 1;
    counts = new long[samples];
    for (int s = 0; s < samples; s++) {
      for (long r = offsets[s]; r < offsets[s + 1]; r++) {
        long y = targets[(int) r];
        if (y == spec.ignoreIndex()) {
          continue;
        }
        if (y < 0 || y >= vocab) {
          throw new IllegalArgumentException("targets[" + r + "] = " + y + " is outside [0, vocab = "
              + vocab + ") and is not ignoreIndex (" + spec.ignoreIndex() + ")");
        }
        counts[s]++;
      }
    }
  }

  /**
   * Labels of {@code targets [rows]} and {@code offsets [samples + 1]} (0 = offsets[0] <= ... <=
   * offsets[samples] = rows) over a vocabulary of {@code vocab} classes under {@code spec}.
   */
  public static LinearLabels of(long[] targets, long[] offsets, long vocab, LossSpec spec) {
    AdapterChecks.requireNonNull(targets, "targets");
    AdapterChecks.requireNonNull(offsets, "offsets");
    AdapterChecks.requireNonNull(spec, "spec");
    if (vocab < 1) {
      throw new IllegalArgumentException("vocab = " + vocab + " must be >= 1");
    }
    return new LinearLabels(targets, offsets, vocab, spec);
  }

  /**
   * Rejects offsets that are not {@code 0 = offsets[0] <= ... <= offsets[samples] = rows},
   * naming the first bad index.
   */
  public static void checkOffsets(long[] offsets, long rows) {
    if (offsets.length < 1) {
      throw new IllegalArgumentException("offsets must have samples + 1 >= 1 entries, got 0");
    }
    if (offsets[0] != 0) {
      throw new IllegalArgumentException("offsets[0] = " + offsets[0] + " must be 0");
    }
    for (int s = 1; s < offsets.length; s++) {
      if (offsets[s] < offsets[s - 1] || offsets[s] > rows) {
        throw new IllegalArgumentException("offsets[" + s + "] = " + offsets[s]
            + " must be nondecreasing and <= rows = " + rows);
      }
    }
    if (offsets[offsets.length - 1] != rows) {
      throw new IllegalArgumentException("offsets[" + (offsets.length - 1) + "] = "
          + offsets[offsets.length - 1] + " must equal rows = " + rows);
    }
  }

  public LossSpec spec() {
    return spec;
  }

  public long rows() {
    return rows;
  }

  public int samples() {
    return counts.length;
  }

  /** Counted (not ignored) rows of sample s. */
  public long tokenCount(int s) {
    return counts[s];
  }

  long offset(int s) {
    return offsets[s];
  }

  /** Rejects null, a length other than samples(), and non-finite entries. */
  public void checkCoefficients(float[] c) {
    if (c == null) {
      throw new IllegalArgumentException("coefficients is null");
    }
    if (c.length != counts.length) {
      throw new IllegalArgumentException("coefficients.length = " + c.length
          + " must equal the number of samples = " + counts.length);
    }
    for (int s = 0; s < c.length; s++) {
      if (!Float.isFinite(c[s])) {
        throw new IllegalArgumentException("coefficients[" + s + "] = " + c[s] + " is not finite");
      }
    }
  }

  /** D of docs/design.md §3 from the token counts and the coefficients. */
  public double normalizer(float[] c) {
    checkCoefficients(c);
    double d = 0;
    switch (spec.normalization()) {
      case WEIGHT_SUM:
        for (int s = 0; s < c.length; s++) {
          if (counts[s] > 0) {
            if (c[s] < 0) {
              throw new IllegalArgumentException("coefficients[" + s + "] = " + c[s]
                  + " is negative: WEIGHT_SUM needs coefficients >= 0 (use NONE or an explicit D)");
            }
            d += c[s];
          }
        }
        break;
      case TOKENS:
        for (long n : counts) {
          d += n;
        }
        break;
      case SAMPLES:
        for (long n : counts) {
          d += n > 0 ? 1 : 0;
        }
        break;
      case NONE:
        d = 1;
        break;
      default:
        d = spec.normalizer();
        break;
    }
    if (d == 0 || !Double.isFinite(d)) {
      throw new IllegalArgumentException("normalizer D = " + d + " under normalization "
          + spec.normalization() + " must be finite and nonzero");
    }
    return d;
  }

  /**
   * k_r = c_s (SUM) or c_s / tokenCount_s (MEAN) for every row r of sample s, 0 for the rows of
   * a sample with no counted row: the coefficient each row's gradient carries before the
   * weight-gradient projection.
   */
  public float[] rowCoefficients(float[] c) {
    checkCoefficients(c);
    float[] k = new float[(int) rows];
    for (int s = 0; s < counts.length; s++) {
      if (counts[s] == 0) {
        continue;
      }
      double ks = spec.tokenReduction() == TokenReduction.MEAN ? (double) c[s] / counts[s] : c[s];
      for (long r = offsets[s]; r < offsets[s + 1]; r++) {
        k[(int) r] = (float) ks;
      }
    }
    return k;
  }

  /**
   * The kernel's options for a chunk run with one sample per row: SUM over the row, the global D
   * as an explicit normaliser (1 for the forward, where no D enters).
   */
  public LossSpec rowSpec(double d) {
    return spec.toBuilder().tokenReduction(TokenReduction.SUM).normalizer(d).build();
  }

  /** total = sum_s c_s loss_s / D over the samples with a counted row. */
  public double weightedTotal(LinearStats stats, float[] c, double d) {
    double total = 0;
    for (int s = 0; s < counts.length; s++) {
      if (counts[s] > 0) {
        total += c[s] * stats.loss(s);
      }
    }
    return total / d;
  }
}
