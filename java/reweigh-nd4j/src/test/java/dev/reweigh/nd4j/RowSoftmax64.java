package dev.reweigh.nd4j;

/**
 * The float64 softmax of one row of float32 logits, for the adapter tests' own references:
 * lse = log sum_v exp(z_v) and the entropy H = -sum_v p_v log p_v (docs/design.md §3.1), with
 * the row maximum subtracted before the exponentials.
 */
final class RowSoftmax64 {
  final double lse;
  final double entropy;

  private RowSoftmax64(double lse, double entropy) {
    this.lse = lse;
    this.entropy = entropy;
  }

  /** Row {@code r} of {@code z}, {@code vocab} columns per row. */
  static RowSoftmax64 of(float[] z, int r, int vocab) {
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      max = Math.max(max, z[r * vocab + v]);
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      sum += Math.exp(z[r * vocab + v] - max);
    }
    double lse = max + Math.log(sum);
    double h = 0;
    for (int v = 0; v < vocab; v++) {
      double lp = z[r * vocab + v] - lse;
      h -= Math.exp(lp) * lp;
    }
    return new RowSoftmax64(lse, h);
  }
}
