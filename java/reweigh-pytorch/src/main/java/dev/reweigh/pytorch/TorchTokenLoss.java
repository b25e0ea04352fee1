package dev.reweigh.pytorch;

import dev.reweigh.AdapterChecks;
import dev.reweigh.Device;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeGrad;
import dev.reweigh.NativePolicyBuffers;
import dev.reweigh.PolicyLoss;
import dev.reweigh.PolicyResult;
import dev.reweigh.PolicySpec;
import dev.reweigh.TokenLoss;
import java.lang.ref.Reference;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
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
 * heap arrays). {@link #backward} and {@link #step} take CPU tensors only (a CUDA batch is an
 * {@link UnsupportedOperationException}); {@link #policyStep} takes CPU and CUDA batches.
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
    Tensor logits = graphLogits(batch, "step()", "; use backward() for a plain tensor");
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
   * step] of {@link TorchLoss}. On a CUDA batch the arrays are copied to the logits' device and
   * the step runs as {@link #policyStep(TorchBatch, LossSpec, PolicySpec, Tensor, Tensor, Tensor,
   * Tensor, boolean)}.
   *
   * @param spec ignore index, temperature (logit scale), softcap; no smoothing or z-loss
   * @param advantages A per row ({@code dev.reweigh.weighting.PolicyGradient.rowAdvantages}); null
   * for DFT
   * @return the objective and the per-row results
   */
  public static PolicyResult policyStep(TorchBatch batch, LossSpec spec, PolicySpec policy,
      float[] oldLogp, float[] advantages, float[] refLogp, float[] entropyWeights,
      boolean inPlace) {
    Tensor logits = graphLogits(batch, "policyStep()", "");
    if (!batch.device().equals(Device.CPU)) {
      return policyStep(batch, spec, policy, deviceRows(batch, oldLogp),
          deviceRows(batch, advantages), deviceRows(batch, refLogp),
          deviceRows(batch, entropyWeights), inPlace);
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

  /**
   * {@link #policyStep(TorchBatch, LossSpec, PolicySpec, float[], float[], float[], float[],
   * boolean)} with the row arrays as float32 tensors ({@code [rows]} or {@code [B, T]},
   * contiguous) on the logits' device, CPU or CUDA, through {@link PolicyLoss#forwardBackward(
   * dev.reweigh.NativeBatch, LossSpec, PolicySpec, NativePolicyBuffers, NativeGrad)}: on a CUDA
   * batch the step runs on the batch's stream and its per-row results are copied to the host on
   * libtorch's current stream, which must be that stream (as for {@link TorchStats}).
   *
   * @param oldLogp required for CLIPPED methods, else may be null
   * @param advantages required for CLIPPED methods, else may be null
   * @param refLogp required when the KL coefficient is above 0, else may be null
   * @param entropyWeights beta_r, or null for no entropy term
   */
  public static PolicyResult policyStep(TorchBatch batch, LossSpec spec, PolicySpec policy,
      Tensor oldLogp, Tensor advantages, Tensor refLogp, Tensor entropyWeights, boolean inPlace) {
    Tensor logits = graphLogits(batch, "policyStep()", "");
    if (policy == null) {
      throw new IllegalArgumentException("policy is null");
    }
    boolean clipped = policy.method() == PolicySpec.Method.CLIPPED;
    long old = rowAddress(batch, oldLogp, "oldLogp", clipped);
    long adv = rowAddress(batch, advantages, "advantages", clipped);
    long ref = rowAddress(batch, refLogp, "refLogp", clipped && policy.klCoefficient() > 0);
    long beta = rowAddress(batch, entropyWeights, "entropyWeights", false);
    long rows = batch.rows();
    Tensor rowLogp = outputs(batch, rows, ScalarType.Float);
    Tensor rowEntropy = outputs(batch, rows, ScalarType.Float);
    Tensor rowWeights = outputs(batch, rows, ScalarType.Float);
    Tensor rowClipped = outputs(batch, rows, ScalarType.Char);
    Tensor objective = outputs(batch, 1, ScalarType.Double);
    Tensor clipCounts = outputs(batch, 2, ScalarType.Long);
    Tensor grad = inPlace ? logits.detach() : torch.empty_like(logits);
    try {
      NativePolicyBuffers buffers = new NativePolicyBuffers(old, adv, ref, beta,
          TorchChecks.address(rowLogp), TorchChecks.address(rowEntropy),
          TorchChecks.address(rowWeights), TorchChecks.address(rowClipped),
          TorchChecks.address(objective), TorchChecks.address(clipCounts));
      PolicyLoss.forwardBackward(batch.nativeBatch(), spec, policy, buffers,
          TorchLoss.nativeGrad(batch, inPlace ? null : grad));
    } finally {
      // The row inputs stay reachable through the array until the native call has read them.
      Reference.reachabilityFence(new Object[] {batch, oldLogp, advantages, refLogp,
          entropyWeights});
    }
    logits.backward(grad, new BoolOptional(), false, new TensorArrayRefOptional());
    long[] counts = Tensors64.toLongs(clipCounts);
    return new PolicyResult(TorchLoss.toDoubles(objective)[0], Tensors64.toFloats(rowLogp),
        Tensors64.toFloats(rowEntropy), Tensors64.toFloats(rowWeights), hostBytes(rowClipped),
        counts[0], counts[1]);
  }

  /** The batch's logits, which {@code call} needs to require grad (an autograd graph output). */
  private static Tensor graphLogits(TorchBatch batch, String call, String hint) {
    AdapterChecks.requireNonNull(batch, "batch");
    Tensor logits = batch.logits();
    if (!logits.requires_grad()) {
      throw new IllegalArgumentException("logits does not require grad: " + call
          + " needs the model's logits (an autograd graph output)" + hint);
    }
    return logits;
  }

  /** The address of a row tensor (0 for null when not required), checked as backward checks it. */
  private static long rowAddress(TorchBatch batch, Tensor t, String name, boolean required) {
    if (t == null && !required) {
      return 0L;
    }
    TorchChecks.requireFloatVector(t, name, batch.rows(), batch.device());
    return TorchChecks.address(t);
  }

  /** A heap row array as a float32 [length] tensor on the logits' device (null stays null). */
  private static Tensor deviceRows(TorchBatch batch, float[] values) {
    return values == null ? null : TorchLoss.coefficientsTensor(batch, values);
  }

  private static Tensor outputs(TorchBatch batch, long n, ScalarType type) {
    return batch.logits().new_empty(new long[] {n}, new TensorOptions(type));
  }

  private static byte[] hostBytes(Tensor t) {
    Tensor host = (t.is_cuda() ? t.cpu() : t).contiguous();
    byte[] out = new byte[(int) host.numel()];
    if (out.length > 0) {
      new BytePointer(host.data_ptr()).get(out);
    }
    return out;
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
