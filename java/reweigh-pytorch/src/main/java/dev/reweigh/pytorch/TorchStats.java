package dev.reweigh.pytorch;

import dev.reweigh.AdapterStats;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Per-sample statistics as tensors on the logits' device, written by the kernels straight into
 * tensor memory (no copy): {@code loss}, {@code logProbSum}, {@code meanEntropy} float32
 * {@code [samples]}, {@code tokenCount} int64 {@code [samples]}, and per row {@code rowLse},
 * {@code rowLogp}, {@code rowEntropy} float32 {@code [rows]} (0 on ignored rows). {@code rowLse}
 * is what {@link TorchLoss#backward} needs. The fields and their native view are {@link
 * AdapterStats}'s.
 */
public final class TorchStats extends AdapterStats<Tensor> {

  private TorchStats(Tensor like, long samples, long rows) {
    super(samples, rows, allocator(like), TorchChecks::address);
  }

  /** new_empty on the logits' device: the options only override the dtype. */
  private static Allocator<Tensor> allocator(Tensor like) {
    TensorOptions f32 = new TensorOptions(ScalarType.Float);
    TensorOptions i64 = new TensorOptions(ScalarType.Long);
    return (n, int64) -> like.new_empty(new long[] {n}, int64 ? i64 : f32);
  }

  static TorchStats allocate(TorchBatch batch) {
    return new TorchStats(batch.logits(), batch.samples(), batch.rows());
  }

  /** Per-sample losses copied to the heap (a device sync on CUDA), for the weighting methods. */
  public double[] lossesToArray() {
    return TorchLoss.toDoubles(loss());
  }

  /** Per-sample log-prob sums copied to the heap. */
  public double[] logProbSumsToArray() {
    return TorchLoss.toDoubles(logProbSum());
  }
}
