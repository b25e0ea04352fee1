package dev.reweigh.pytorch;

import org.bytedeco.pytorch.Tensor;

/**
 * Output of a fused linear + cross-entropy pass: the objective {@code total = sum_s c_s loss_s /
 * D}, the per-sample statistics, the gradients of total with respect to hidden {@code [rows, H]}
 * (hidden's dtype), weight {@code [V, H]} and bias {@code [V]} (the head's dtype, or float32
 * under {@link GradAccumulation#FLOAT32}; null without a bias), and the rows per chunk used.
 */
public final class LinearResult {
  private final double total;
  private final LinearForward stats;
  private final Tensor gradHidden;
  private final Tensor gradWeight;
  private final Tensor gradBias;
  private final long chunkRows;
  private final boolean inWeightGrad;

  LinearResult(double total, LinearForward stats, Tensor gradHidden, Tensor gradWeight,
      Tensor gradBias, long chunkRows, boolean inWeightGrad) {
    this.total = total;
    this.stats = stats;
    this.gradHidden = gradHidden;
    this.gradWeight = gradWeight;
    this.gradBias = gradBias;
    this.chunkRows = chunkRows;
    this.inWeightGrad = inWeightGrad;
  }

  public double total() {
    return total;
  }

  public LinearForward stats() {
    return stats;
  }

  public Tensor gradHidden() {
    return gradHidden;
  }

  public Tensor gradWeight() {
    return gradWeight;
  }

  /** Null when the head has no bias. */
  public Tensor gradBias() {
    return gradBias;
  }

  public long chunkRows() {
    return chunkRows;
  }

  /** gradWeight() is a caller's tensor (in step the weight's own {@code .grad}), added into. */
  boolean inWeightGrad() {
    return inWeightGrad;
  }
}
