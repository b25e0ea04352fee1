package dev.reweigh.demo.train;

import dev.reweigh.nativeapi.ReweighNative;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;

/**
 * {@link LossStep} on Reweigh's fused kernels, zero copy: the kernel reads the logits where
 * libtorch left them ({@code data_ptr()}), and writes the gradient in place over them; that same
 * memory then goes into {@code logits.backward(grad)}. Padded [B, T] batches: sample s owns rows
 * [s*T, (s+1)*T).
 */
public final class FusedLossStep implements LossStep {
  private static final int F32 = 0;
  private static final int I64 = 4;
  private static final int CPU = 0;
  private static final int MEAN = 0;
  private static final int SUM = 1;
  private static final int SAMPLES = 2;

  @Override
  public Result step(Tensor logits, Tensor targets, Coefficients coefficients, LossOptions options) {
    Batch b = Batch.of(logits, targets);
    float[] loss = new float[b.samples];
    float[] logProbSum = new float[b.samples];
    long[] tokenCount = new long[b.samples];
    float[] meanEntropy = new float[b.samples];
    double[] total = new double[1];
    Tensor grad = logits.detach(); // same memory: the gradient overwrites the logits
    if (!coefficients.needsStats()) {
      float[] c = coefficients.of(null);
      check(ReweighNative.reweigh_jni_forward_backward(
          b.logits, F32, b.rows, b.vocab, b.vocab, b.targets, I64, b.offsets, I64, b.samples,
          CPU, 0, 0L, LossOptions.IGNORE_INDEX, 0f, 0f, 0f, 1f,
          options.sumTokens() ? SUM : MEAN, SAMPLES, 0.0, 0,
          c, grad.data_ptr().address(), b.vocab,
          loss, logProbSum, tokenCount, meanEntropy, null, null, null, total));
      logits.backward(grad, new BoolOptional(), false, new TensorArrayRefOptional());
      return new Result(total[0], new LossStats(loss, logProbSum, tokenCount, meanEntropy));
    }
    float[] rowLse = new float[Math.toIntExact(b.rows)];
    check(ReweighNative.reweigh_jni_forward(
        b.logits, F32, b.rows, b.vocab, b.vocab, b.targets, I64, b.offsets, I64, b.samples,
        CPU, 0, 0L, LossOptions.IGNORE_INDEX, 0f, 0f, 0f, 1f,
        options.sumTokens() ? SUM : MEAN, SAMPLES, 0.0, 0,
        loss, logProbSum, tokenCount, meanEntropy, rowLse, null, null));
    LossStats stats = new LossStats(loss, logProbSum, tokenCount, meanEntropy);
    float[] c = coefficients.of(stats);
    double objective = 0;
    for (int s = 0; s < b.samples; s++) {
      objective += (double) c[s] * loss[s];
    }
    objective /= b.samples;
    check(ReweighNative.reweigh_jni_backward(
        b.logits, F32, b.rows, b.vocab, b.vocab, b.targets, I64, b.offsets, I64, b.samples,
        CPU, 0, 0L, LossOptions.IGNORE_INDEX, 0f, 0f, 0f, 1f,
        options.sumTokens() ? SUM : MEAN, SAMPLES, 0.0, 0,
        rowLse, c, grad.data_ptr().address(), b.vocab));
    logits.backward(grad, new BoolOptional(), false, new TensorArrayRefOptional());
    return new Result(objective, stats);
  }

  @Override
  public LossStats forward(Tensor logits, Tensor targets, LossOptions options) {
    Batch b = Batch.of(logits, targets);
    float[] loss = new float[b.samples];
    float[] logProbSum = new float[b.samples];
    long[] tokenCount = new long[b.samples];
    float[] meanEntropy = new float[b.samples];
    check(ReweighNative.reweigh_jni_forward(
        b.logits, F32, b.rows, b.vocab, b.vocab, b.targets, I64, b.offsets, I64, b.samples,
        CPU, 0, 0L, LossOptions.IGNORE_INDEX, 0f, 0f, 0f, 1f,
        options.sumTokens() ? SUM : MEAN, SAMPLES, 0.0, 0,
        loss, logProbSum, tokenCount, meanEntropy, null, null, null));
    return new LossStats(loss, logProbSum, tokenCount, meanEntropy);
  }

  private static void check(int status) {
    if (status != 0) {
      String msg = ReweighNative.reweigh_status_string(status) + ": " + ReweighNative.reweigh_last_error();
      throw status == 1 ? new IllegalArgumentException(msg) : new IllegalStateException(msg);
    }
  }

  /** Raw addresses and sizes of a padded batch; offsets live in a small int64 tensor. */
  private static final class Batch {
    long logits;
    long targets;
    long offsets;
    long rows;
    long vocab;
    int samples;
    Tensor offsetsTensor; // keeps the offsets' memory alive during the call

    static Batch of(Tensor logits, Tensor targets) {
      if (logits.dim() != 3 || !logits.is_contiguous()) {
        throw new IllegalArgumentException("logits: need a contiguous [B, T, V] tensor");
      }
      long bsz = logits.size(0);
      long t = logits.size(1);
      if (targets.dim() != 2 || targets.size(0) != bsz || targets.size(1) != t || !targets.is_contiguous()) {
        throw new IllegalArgumentException("targets: need a contiguous [B, T] int64 tensor matching logits");
      }
      Batch b = new Batch();
      b.samples = Math.toIntExact(bsz);
      b.rows = bsz * t;
      b.vocab = logits.size(2);
      long[] off = new long[b.samples + 1];
      for (int s = 0; s <= b.samples; s++) {
        off[s] = s * t;
      }
      b.offsetsTensor = AbstractTensor.create(off, off.length);
      b.logits = logits.data_ptr().address();
      b.targets = targets.data_ptr().address();
      b.offsets = b.offsetsTensor.data_ptr().address();
      return b;
    }
  }
}
