package dev.reweigh.pytorch;

import dev.reweigh.NativeStats;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Per-sample statistics as tensors on the logits' device, written by the kernels straight into
 * tensor memory (no copy): {@code loss}, {@code logProbSum}, {@code meanEntropy} float32
 * {@code [samples]}, {@code tokenCount} int64 {@code [samples]}, and per row {@code rowLse},
 * {@code rowLogp}, {@code rowEntropy} float32 {@code [rows]} (0 on ignored rows). {@code rowLse}
 * is what {@link TorchLoss#backward} needs.
 */
public final class TorchStats {
  private final Tensor loss;
  private final Tensor logProbSum;
  private final Tensor tokenCount;
  private final Tensor meanEntropy;
  private final Tensor rowLse;
  private final Tensor rowLogp;
  private final Tensor rowEntropy;

  private TorchStats(Tensor like, long samples, long rows) {
    TensorOptions f32 = new TensorOptions(ScalarType.Float);
    TensorOptions i64 = new TensorOptions(ScalarType.Long);
    // new_zeros-like allocation on the logits' device: the options only override the dtype.
    this.loss = like.new_empty(new long[] {samples}, f32);
    this.logProbSum = like.new_empty(new long[] {samples}, f32);
    this.tokenCount = like.new_empty(new long[] {samples}, i64);
    this.meanEntropy = like.new_empty(new long[] {samples}, f32);
    this.rowLse = like.new_empty(new long[] {rows}, f32);
    this.rowLogp = like.new_empty(new long[] {rows}, f32);
    this.rowEntropy = like.new_empty(new long[] {rows}, f32);
  }

  static TorchStats allocate(TorchBatch batch) {
    return new TorchStats(batch.logits, batch.samples, batch.rows);
  }

  NativeStats nativeStats() {
    return NativeStats.builder()
        .loss(TorchChecks.address(loss))
        .logProbSum(TorchChecks.address(logProbSum))
        .tokenCount(TorchChecks.address(tokenCount))
        .meanEntropy(TorchChecks.address(meanEntropy))
        .rowLse(TorchChecks.address(rowLse))
        .rowLogp(TorchChecks.address(rowLogp))
        .rowEntropy(TorchChecks.address(rowEntropy))
        .build();
  }

  /** Per-sample loss (MEAN or SUM over counted rows), float32 {@code [samples]}. */
  public Tensor loss() {
    return loss;
  }

  /** Per-sample sum of target log-probs, float32 {@code [samples]}. */
  public Tensor logProbSum() {
    return logProbSum;
  }

  /** Per-sample counted rows, int64 {@code [samples]}. */
  public Tensor tokenCount() {
    return tokenCount;
  }

  /** Per-sample mean entropy, float32 {@code [samples]}. */
  public Tensor meanEntropy() {
    return meanEntropy;
  }

  /** Per-row log-sum-exp, float32 {@code [rows]}; input of {@link TorchLoss#backward}. */
  public Tensor rowLse() {
    return rowLse;
  }

  /** Per-row target log-prob, float32 {@code [rows]}. */
  public Tensor rowLogp() {
    return rowLogp;
  }

  /** Per-row entropy, float32 {@code [rows]}. */
  public Tensor rowEntropy() {
    return rowEntropy;
  }

  /** Per-sample losses copied to the heap (a device sync on CUDA), for the weighting methods. */
  public double[] lossesToArray() {
    return TorchLoss.toDoubles(loss);
  }

  /** Per-sample log-prob sums copied to the heap. */
  public double[] logProbSumsToArray() {
    return TorchLoss.toDoubles(logProbSum);
  }
}
