package dev.reweigh.pytorch;

import dev.reweigh.AdapterChecks;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeGrad;
import dev.reweigh.PolicyLoss;
import dev.reweigh.PolicyResult;
import dev.reweigh.PolicySpec;
import dev.reweigh.TokenLoss;
import java.lang.ref.Reference;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@link TokenLoss} on libtorch tensors: the gradient with per-row loss weights {@code w_r} and
 * optional entropy weights {@code beta_r} (semantics and normalisation in {@link TokenLoss}), for
 * two-phase token-level objectives ({@code dev.reweigh.weighting.PolicyGradient}).
 *
 * <pre>
 * TorchStats st = TorchLoss.forward(batch, TokenLoss.objectiveSpec());
 * TokenObjective o = PolicyGradient.grpo(rowLogp of st, oldLogp, ...);
 * TorchTokenLoss.step(batch, st, o.rowWeights(), null, true);   // gradient into the parameters
 * </pre>
 *
 * The one-pass step ({@link PolicyLoss}: the coefficient computed inside the row pass, the logits
 * read once) is {@link #policyStep}.
 *
 * <p>Row arrays are float32 with one entry per row ({@code [rows]} or {@code [B, T]} tensors, or
 * heap arrays). CPU tensors only: a CUDA batch is an {@link UnsupportedOperationException}.
 */
public final class TorchTokenLoss {
  private TorchTokenLoss() {}

  /**
   * The gradient alone into {@code grad} ({@code null}: over the logits, in place), from the
   * statistics of {@link TorchLoss#forward} on the same batch and spec.
   */
  public static void backward(TorchBatch batch, TorchStats stats, Tensor coefficients,
      Tensor rowWeights, Tensor rowEntropyWeights, LossSpec spec, Tensor grad) {
    AdapterChecks.requireNonNull(batch, "batch");
    AdapterChecks.requireNonNull(spec, "spec");
    AdapterChecks.requireNonNull(stats, "stats");
    TorchChecks.requireFloatVector(stats.rowLse(), "stats.rowLse", batch.rows(), batch.device());
    TorchChecks.requireFloatVector(coefficients, "coefficients", batch.samples(), batch.device());
    TorchChecks.requireFloatVector(rowWeights, "rowWeights", batch.rows(), batch.device());
    long entropyWeights = 0;
    long entropy = 0;
    if (rowEntropyWeights != null) {
      TorchChecks.requireFloatVector(rowEntropyWeights, "rowEntropyWeights", batch.rows(),
          batch.device());
      TorchChecks.requireFloatVector(stats.rowEntropy(), "stats.rowEntropy", batch.rows(),
          batch.device());
      entropyWeights = TorchChecks.address(rowEntropyWeights);
      entropy = TorchChecks.address(stats.rowEntropy());
    }
    NativeGrad g = TorchLoss.nativeGrad(batch, grad);
    try {
      TokenLoss.backward(batch.nativeBatch(), TorchChecks.address(stats.rowLse()), entropy,
          TorchChecks.address(coefficients), TorchChecks.address(rowWeights), entropyWeights,
          spec, g);
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(stats);
      Reference.reachabilityFence(coefficients);
      Reference.reachabilityFence(rowWeights);
      Reference.reachabilityFence(rowEntropyWeights);
      Reference.reachabilityFence(grad);
    }
  }

  /**
   * The step of a token-level objective: backward under {@link TokenLoss#objectiveSpec()} with
   * unit per-sample coefficients (so the gradient is {@code dF/dlogits} for {@code w_r =
   * -dF/dlogp_r}), then {@code logits.backward(grad)} into the model's parameters. {@code stats}
   * must come from {@link TorchLoss#forward} under the same spec. In place: see [Note: in-place
   * step] of {@link TorchLoss}.
   *
   * @param rowWeights w_r, one per row
   * @param rowEntropyWeights beta_r, one per row, or null
   */
  public static void step(TorchBatch batch, TorchStats stats, float[] rowWeights,
      float[] rowEntropyWeights, boolean inPlace) {
    AdapterChecks.requireNonNull(batch, "batch");
    Tensor logits = batch.logits();
    if (!logits.requires_grad()) {
      throw new IllegalArgumentException("logits does not require grad: step() needs the model's"
          + " logits (an autograd graph output); use backward() for a plain tensor");
    }
    float[] ones = new float[Math.toIntExact(batch.samples())];
    Arrays.fill(ones, 1f);
    Tensor w = rowTensor(batch, rowWeights, "rowWeights");
    Tensor beta = rowEntropyWeights == null ? null
        : rowTensor(batch, rowEntropyWeights, "rowEntropyWeights");
    Tensor grad = inPlace ? logits.detach() : torch.empty_like(logits);
    backward(batch, stats, TorchLoss.coefficientsTensor(batch, ones), w, beta,
        TokenLoss.objectiveSpec(), inPlace ? null : grad);
    logits.backward(grad, new BoolOptional(), false, new TensorArrayRefOptional());
  }

  /**
   * The one-pass policy step ({@link PolicyLoss#forwardBackward}) on the batch's logits, then
   * {@code logits.backward(grad)} into the model's parameters. In place: see [Note: in-place
   * step] of {@link TorchLoss}.
   *
   * @param spec ignore index, temperature (logit scale), softcap; no smoothing or z-loss
   * @param advantages A per row ({@code dev.reweigh.weighting.PolicyGradient.rowAdvantages}); null
   * for DFT
   * @return the objective and the per-row results
   */
  public static PolicyResult policyStep(TorchBatch batch, LossSpec spec, PolicySpec policy,
      float[] oldLogp, float[] advantages, float[] refLogp, float[] entropyWeights,
      boolean inPlace) {
    AdapterChecks.requireNonNull(batch, "batch");
    Tensor logits = batch.logits();
    if (!logits.requires_grad()) {
      throw new IllegalArgumentException("logits does not require grad: policyStep() needs the"
          + " model's logits (an autograd graph output)");
    }
    Tensor grad = inPlace ? logits.detach() : torch.empty_like(logits);
    PolicyResult res;
    try {
      res = PolicyLoss.forwardBackward(batch.nativeBatch(), spec, policy, oldLogp, advantages,
          refLogp, entropyWeights, TorchLoss.nativeGrad(batch, inPlace ? null : grad));
    } finally {
      Reference.reachabilityFence(batch);
    }
    logits.backward(grad, new BoolOptional(), false, new TensorArrayRefOptional());
    return res;
  }

  /** A heap row array as a float32 [rows] tensor beside the logits. */
  private static Tensor rowTensor(TorchBatch batch, float[] values, String name) {
    TokenLoss.checkRowValues(values, batch.rows(), name);
    Tensor t = batch.logits().new_empty(new long[] {values.length},
        new TensorOptions(ScalarType.Float));
    if (values.length == 0) {
      return t;
    }
    try (FloatPointer p = new FloatPointer(values)) {
      t.copy_(torch.from_blob(p, new long[] {values.length}, new TensorOptions(ScalarType.Float)));
    }
    return t;
  }
}
