package dev.reweigh;

/** How a sample's row losses become its loss (docs/design.md §3). */
public enum TokenReduction {
  /** {@code loss_s = sum rowLoss / tokenCount_s}; a sample with no counted row has loss 0. */
  MEAN(0),
  /** {@code loss_s = sum rowLoss}. */
  SUM(1);

  final int code;

  TokenReduction(int code) {
    this.code = code;
  }
}
