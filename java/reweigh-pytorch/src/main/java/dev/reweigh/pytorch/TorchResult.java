package dev.reweigh.pytorch;

import org.bytedeco.pytorch.Tensor;

/**
 * The objective {@code sum_s c_s loss_s / D} and the statistics.
 *
 * @param totalTensor the objective as a 0-dim float64 tensor on the logits' device
 * @param stats the per-sample and per-row statistics of the same call
 */
public record TorchResult(Tensor totalTensor, TorchStats stats) {

  /** The objective as a double (a device sync on CUDA). */
  public double total() {
    return totalTensor.item_double();
  }
}
