package dev.reweigh;

/**
 * The denominator D of the objective {@code total = sum_s c_s * loss_s / D} (docs/design.md §3).
 * D = 0 or a non-finite D is an {@link IllegalArgumentException}.
 */
public enum Normalization {
  /** D = sum of c_s over samples with at least one counted row (a weighted mean). */
  WEIGHT_SUM(0),
  /** D = total counted rows in the batch. */
  TOKENS(1),
  /** D = number of samples with at least one counted row. */
  SAMPLES(2),
  /** D = 1. */
  NONE(3),
  /**
   * D = {@link LossSpec#normalizer()}, e.g. the global normaliser of a data-parallel step; set by
   * {@link LossSpec.Builder#normalizer(double)}.
   */
  EXPLICIT(4);

  final int code;

  Normalization(int code) {
    this.code = code;
  }
}
