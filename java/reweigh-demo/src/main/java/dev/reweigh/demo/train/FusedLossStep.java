package dev.reweigh.demo.train;

import dev.reweigh.DType;
import dev.reweigh.FusedLoss;
import dev.reweigh.IndexType;
import dev.reweigh.LossResult;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeBatch;
import dev.reweigh.NativeGrad;
import dev.reweigh.Normalization;
import dev.reweigh.SampleStats;
import dev.reweigh.TokenReduction;
import java.lang.ref.Reference;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;

/**
 * {@link LossStep} on Reweigh's fused kernels through the zero-copy pointer path ({@link
 * NativeBatch}): the kernel reads the logits where libtorch left them ({@code data_ptr()}), writes
 * the gradient in place over them ({@link NativeGrad#inPlace}), and that same memory goes into
 * {@code logits.backward(grad)}. A padded [B, T] batch is the case {@code offsets[s] = s*T}.
 *
 * <p>Objective: {@code (1/B) sum_s c_s loss_s} (Normalization.SAMPLES), loss_s the mean
 * (TokenReduction.MEAN) or sum of the sample's token NLL. Overwriting the logits is safe: the
 * linear head's backward needs its input and weight, not its output.
 */
public final class FusedLossStep implements LossStep {

  @Override
  public Result step(Tensor logits, Tensor targets, Coefficients coefficients, LossOptions options) {
    Batch b = Batch.of(logits, targets);
    LossSpec spec = spec(options);
    NativeGrad grad = NativeGrad.inPlace(b.batch);
    LossStats stats;
    double objective;
    if (!coefficients.needsStats()) {
      LossResult r = FusedLoss.forwardBackward(b.batch, coefficients.of(null), spec, grad);
      stats = stats(r.stats());
      objective = r.total();
    } else {
      SampleStats st = FusedLoss.forward(b.batch, spec);
      stats = stats(st);
      float[] c = coefficients.of(stats);
      objective = 0;
      for (int s = 0; s < c.length; s++) {
        objective += (double) c[s] * st.loss(s);
      }
      objective /= c.length;
      FusedLoss.backward(b.batch, st, c, spec, grad);
    }
    // logits.detach() shares the memory the kernel just filled with dL/dlogits.
    logits.backward(logits.detach(), new BoolOptional(), false, new TensorArrayRefOptional());
    Reference.reachabilityFence(b);
    return new Result(objective, stats);
  }

  @Override
  public LossStats forward(Tensor logits, Tensor targets, LossOptions options) {
    Batch b = Batch.of(logits, targets);
    LossStats st = stats(FusedLoss.forward(b.batch, spec(options)));
    Reference.reachabilityFence(b);
    return st;
  }

  private static LossSpec spec(LossOptions options) {
    return LossSpec.builder()
        .ignoreIndex(LossOptions.IGNORE_INDEX)
        .tokenReduction(options.sumTokens() ? TokenReduction.SUM : TokenReduction.MEAN)
        .normalization(Normalization.SAMPLES)
        .build();
  }

  private static LossStats stats(SampleStats st) {
    int n = st.samples();
    float[] loss = new float[n];
    float[] lp = new float[n];
    long[] tok = new long[n];
    float[] ent = new float[n];
    for (int s = 0; s < n; s++) {
      loss[s] = (float) st.loss(s);
      lp[s] = (float) st.logProbSum(s);
      tok[s] = st.tokenCount(s);
      ent[s] = (float) st.meanEntropy(s);
    }
    return new LossStats(loss, lp, tok, ent);
  }

  /** The batch over the tensors' memory; {@code offsets} keeps its int64 tensor alive. */
  private record Batch(NativeBatch batch, Tensor offsets) {
    static Batch of(Tensor logits, Tensor targets) {
      if (logits.dim() != 3 || !logits.is_contiguous()) {
        throw new IllegalArgumentException("logits: need a contiguous [B, T, V] fp32 tensor");
      }
      long b = logits.size(0);
      long t = logits.size(1);
      if (targets.dim() != 2 || targets.size(0) != b || targets.size(1) != t
          || !targets.is_contiguous()) {
        throw new IllegalArgumentException("targets: need a contiguous [B, T] int64 tensor matching logits");
      }
      long[] off = new long[(int) b + 1];
      for (int s = 0; s <= b; s++) {
        off[s] = s * t;
      }
      Tensor offsets = AbstractTensor.create(off, off.length);
      NativeBatch nb = NativeBatch.builder()
          .logits(logits.data_ptr().address(), DType.F32, b * t, logits.size(2))
          .targets(targets.data_ptr().address(), IndexType.I64)
          .offsets(offsets.data_ptr().address(), IndexType.I64, b)
          .build();
      return new Batch(nb, offsets);
    }
  }
}
