package dev.reweigh.demo.train;

import org.bytedeco.pytorch.Tensor;

/**
 * The seam between the model and the loss: given logits [B, T, V] (contiguous fp32, part of the
 * autograd graph) and shifted targets [B, T] (int64, {@link LossOptions#IGNORE_INDEX} where not
 * scored), compute per-sample statistics and put the gradient of {@code (1/B) sum_s c_s loss_s}
 * into the graph with {@code logits.backward(grad)}. The demo's implementation is {@link
 * FusedLossStep} (Reweigh's kernels); the tests hold a libtorch {@code cross_entropy} oracle.
 */
public interface LossStep {
  /** Forward + backward; returns the objective's value and the statistics. */
  Result step(Tensor logits, Tensor targets, Coefficients coefficients, LossOptions options);

  /** Statistics only, no gradient (scoring). */
  LossStats forward(Tensor logits, Tensor targets, LossOptions options);

  /** The objective's value and the batch statistics. */
  record Result(double objective, LossStats stats) {}
}
