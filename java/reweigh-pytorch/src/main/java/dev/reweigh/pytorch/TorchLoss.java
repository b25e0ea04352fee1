package dev.reweigh.pytorch;

import dev.reweigh.AdapterChecks;
import dev.reweigh.AdapterLoss;
import dev.reweigh.FusedLoss;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeGrad;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@link FusedLoss} on libtorch tensors (JavaCPP PyTorch presets), zero copy: the kernels read
 * the logits where libtorch keeps them, write the statistics into freshly allocated tensors on the
 * same device and the gradient over the logits (or into a tensor you pass), on libtorch's current
 * CUDA stream when the logits live on a GPU.
 *
 * <pre>{@code
 * TorchBatch batch = TorchBatch.causal(logits, tokens, -100);  // [B, T, V], [B, T]
 * TorchStats st = TorchLoss.forward(batch, spec);   // st.loss(): [B]
 * float[] c = weighting(st.lossesToArray());        // Java, O(samples)
 * TorchResult r = TorchLoss.step(batch, c, spec);   // kernel, then logits.backward(grad)
 * optimizer.step();
 * }</pre>
 *
 * Semantics are those of {@link FusedLoss} (docs/design.md §3); argument errors are {@link
 * IllegalArgumentException}s naming the argument.
 */
public final class TorchLoss {
  private TorchLoss() {}

  private static final Ops OPS = new Ops();

  /** Per-sample (and per-row) statistics as tensors on the logits' device. */
  public static TorchStats forward(TorchBatch batch, LossSpec spec) {
    return OPS.forward(batch, spec);
  }

  /**
   * Statistics, objective and gradient in one pass. {@code coefficients}: float32 {@code
   * [samples]} on the logits' device. {@code grad}: a tensor shaped, typed and placed like the
   * logits (rows may be strided), or {@code null} to write the gradient over the logits.
   */
  public static TorchResult forwardBackward(
      TorchBatch batch, Tensor coefficients, LossSpec spec, Tensor grad) {
    return OPS.forwardBackward(batch, coefficients, spec, grad);
  }

  /** {@link #forwardBackward(TorchBatch, Tensor, LossSpec, Tensor)} with heap coefficients. */
  public static TorchResult forwardBackward(
      TorchBatch batch, float[] coefficients, LossSpec spec, Tensor grad) {
    return OPS.forwardBackward(batch, coefficients, spec, grad);
  }

  /**
   * The gradient alone, from the statistics of {@link #forward} on the same batch and options
   * (two-phase methods: forward, compute coefficients from the losses, backward).
   */
  public static void backward(TorchBatch batch, TorchStats stats, Tensor coefficients,
      LossSpec spec, Tensor grad) {
    OPS.backward(batch, stats, coefficients, spec, grad);
  }

  /** {@link #backward(TorchBatch, TorchStats, Tensor, LossSpec, Tensor)}, heap coefficients. */
  public static void backward(TorchBatch batch, TorchStats stats, float[] coefficients,
      LossSpec spec, Tensor grad) {
    OPS.backward(batch, stats, coefficients, spec, grad);
  }

  /**
   * The whole weighted step on a model's logits: fused forward + backward with the gradient
   * written over the logits' memory, then {@code logits.backward(grad)} so libtorch's autograd
   * carries the gradient into the model's parameters. Returns the objective and statistics.
   *
   * <p>[Note: in-place step] Overwriting the logits is safe when no autograd node saved the
   * logits tensor itself for its backward: true for a Linear / matmul LM head (it saves its
   * inputs), false e.g. for a {@code tanh} softcap applied in the model. Use {@link
   * #step(TorchBatch, float[], LossSpec, boolean)} with {@code inPlace = false} then, which
   * costs one extra [rows, V] buffer. After an in-place step the logits tensor holds the gradient.
   */
  public static TorchResult step(TorchBatch batch, float[] coefficients, LossSpec spec) {
    return step(batch, coefficients, spec, true);
  }

  /** {@link #step(TorchBatch, float[], LossSpec)}, choosing whether the gradient goes in place. */
  public static TorchResult step(
      TorchBatch batch, float[] coefficients, LossSpec spec, boolean inPlace) {
    AdapterChecks.requireNonNull(batch, "batch");
    AdapterChecks.requireNonNull(spec, "spec");
    AdapterChecks.requireCoefficients(coefficients, batch.samples());
    return step(batch, coefficientsTensor(batch, coefficients), spec, inPlace);
  }

  /** {@link #step(TorchBatch, float[], LossSpec, boolean)} with tensor coefficients. */
  public static TorchResult step(
      TorchBatch batch, Tensor coefficients, LossSpec spec, boolean inPlace) {
    Tensor logits = graphLogits(batch, spec, "forwardBackward()");
    Tensor grad = inPlace ? logits.detach() : torch.empty_like(logits);
    TorchResult r = forwardBackward(batch, coefficients, spec, inPlace ? null : grad);
    // Non-leaf backward with an external gradient (docs/toolchain.md §3): same parameter gradients
    // as autograd through the equivalent libtorch loss.
    logits.backward(grad, new BoolOptional(), false, new TensorArrayRefOptional());
    return r;
  }

  /**
   * The two-phase step on a model's logits: the gradient from the statistics of {@link #forward} on
   * the same batch and options (coefficients that depend on the forward's log-probs, e.g. DPO,
   * docs/methods.md §7), written over the logits' memory, then {@code logits.backward(grad)} (same
   * conditions as the in-place {@link #step(TorchBatch, float[], LossSpec)}).
   */
  public static void step(
      TorchBatch batch, TorchStats stats, float[] coefficients, LossSpec spec) {
    Tensor logits = graphLogits(batch, spec, "backward()");
    backward(batch, stats, coefficients, spec, null);
    logits.backward(logits.detach(), new BoolOptional(), false, new TensorArrayRefOptional());
  }

  // ---- helpers --------------------------------------------------------------------------------

  /**
   * The batch's logits, checked to be an autograd graph output, as {@code step} needs them;
   * {@code plainCall} names the call to use on a plain tensor instead.
   */
  private static Tensor graphLogits(TorchBatch batch, LossSpec spec, String plainCall) {
    AdapterChecks.requireNonNull(batch, "batch");
    AdapterChecks.requireNonNull(spec, "spec");
    Tensor logits = batch.logits();
    if (!logits.requires_grad()) {
      throw new IllegalArgumentException("logits does not require grad: step() needs the model's"
          + " logits (an autograd graph output); use " + plainCall + " for a plain tensor");
    }
    return logits;
  }

  /**
   * The native gradient for {@code grad} ({@code null}: in place over the logits), checked as
   * every call of this class checks it (shape, dtype, device, row stride).
   */
  static NativeGrad nativeGrad(TorchBatch batch, Tensor grad) {
    return grad == null ? NativeGrad.inPlace(batch.nativeBatch()) : OPS.grad(batch, grad);
  }

  /** What libtorch contributes to the shared adapter calls. */
  private static final class Ops extends AdapterLoss<Tensor, TorchBatch, TorchStats, TorchResult> {
    @Override
    protected TorchStats allocateStats(TorchBatch batch) {
      return TorchStats.allocate(batch);
    }

    @Override
    protected void requireFloatVector(Tensor t, String name, long n, TorchBatch batch) {
      TorchChecks.requireFloatVector(t, name, n, batch.device());
    }

    @Override
    protected long address(Tensor t) {
      return TorchChecks.address(t);
    }

    @Override
    protected NativeGrad grad(TorchBatch batch, Tensor grad) {
      TorchChecks.requireDefined(grad, "grad");
      AdapterChecks.requireGradShape(TorchChecks.shapeOf(grad), TorchChecks.shapeOf(batch.logits()));
      if (TorchChecks.scalarType(grad) != TorchChecks.scalarType(batch.logits())) {
        throw new IllegalArgumentException("grad dtype " + TorchChecks.scalarType(grad)
            + " must equal the logits dtype " + TorchChecks.scalarType(batch.logits()));
      }
      TorchChecks.requireSameDevice(grad, "grad", batch.device());
      long stride = TorchChecks.rowStride(grad, "grad");
      return NativeGrad.ofAddress(TorchChecks.address(grad), stride);
    }

    @Override
    protected Tensor floats(TorchBatch batch, float[] c) {
      return coefficientsTensor(batch, c);
    }

    @Override
    protected Tensor newTotal(TorchBatch batch) {
      Tensor total = batch.logits().new_empty(new long[] {}, new TensorOptions(ScalarType.Double));
      total.zero_();
      return total;
    }

    @Override
    protected TorchResult result(Tensor total, TorchStats stats) {
      return new TorchResult(total, stats);
    }
  }

  /** A float32 tensor on the logits' device holding {@code c} (samples values; tiny). */
  static Tensor coefficientsTensor(TorchBatch batch, float[] c) {
    Tensor t = batch.logits().new_empty(new long[] {c.length}, new TensorOptions(ScalarType.Float));
    if (c.length == 0) {
      return t;
    }
    try (FloatPointer p = new FloatPointer(c)) {
      Tensor host = torch.from_blob(p, new long[] {c.length}, new TensorOptions(ScalarType.Float));
      t.copy_(host);
    }
    return t;
  }

  static double[] toDoubles(Tensor t) {
    Tensor host = t.is_cuda() ? t.cpu() : t;
    host = TorchChecks.scalarType(host) == ScalarType.Double ? host.contiguous()
        : host.to(new org.bytedeco.pytorch.Device("cpu"), ScalarType.Double).contiguous();
    double[] out = new double[(int) host.numel()];
    if (out.length > 0) {
      new org.bytedeco.javacpp.DoublePointer(host.data_ptr()).get(out);
    }
    return out;
  }
}
