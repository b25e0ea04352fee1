package dev.reweigh.pytorch;

import org.bytedeco.pytorch.Tensor;

/** The objective {@code sum_s c_s loss_s / D} (a 0-dim float64 tensor) and the statistics. */
public final class TorchResult {
  private final Tensor total;
  private final TorchStats stats;

  TorchResult(Tensor total, TorchStats stats) {
    this.total = total;
    this.stats = stats;
  }

  /** The objective as a 0-dim float64 tensor on the logits' device. */
  public Tensor totalTensor() {
    return total;
  }

  /** The objective as a double (a device sync on CUDA). */
  public double total() {
    return total.item_double();
  }

  public TorchStats stats() {
    return stats;
  }
}
