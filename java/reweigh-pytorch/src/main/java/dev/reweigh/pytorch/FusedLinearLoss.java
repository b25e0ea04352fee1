package dev.reweigh.pytorch;

import dev.reweigh.FusedLinearDriver;
import dev.reweigh.LinearLabels;
import dev.reweigh.LinearStats;
import dev.reweigh.LossSpec;
import java.lang.ref.Reference;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Fused linear + cross-entropy with per-sample coefficients that never holds the full {@code
 * [rows, V]} logits (docs/design.md §6). Rows are processed in chunks sized from a memory budget;
 * per chunk:
 *
 * <pre>
 *   z   = hidden_chunk W^T (+ b)                libtorch matmul on the head's device
 *   g   = d total / d z, in place over z         Reweigh's fused kernel, coefficients applied
 *   grad_hidden_chunk = g W                      libtorch
 *   grad_W += g^T hidden_chunk,  grad_b += sum_rows g   (one GEMM, float32 inside)
 * </pre>
 *
 * The chunk loop, labels, normaliser, per-row coefficients and statistics are the core's {@link
 * FusedLinearDriver}, shared with the ND4J adapter: the coefficients enter g row by row, before
 * the weight-gradient projection.
 *
 * <p>One pass: {@link #forwardBackward} / {@link #step}. Two phases (coefficients computed from
 * the statistics, as in DPO or IWSI): {@link #forward} keeps per-row lse only, then {@link
 * #backward} / {@link #step(LinearForward, float[], long)} recompute each chunk's logits.
 * fp32 heads, or bf16 heads (bf16 logits chunk and GEMMs). The weight and bias gradients
 * accumulate over chunks in the head's dtype by default, so no float32 {@code [V, H]} array
 * exists for a bf16 head; {@link GradAccumulation} states the rounding this costs and offers
 * float32 accumulators instead.
 */
public final class FusedLinearLoss {
  private FusedLinearLoss() {}

  /** Default logits budget per chunk: {@link FusedLinearDriver#DEFAULT_CHUNK_BYTES}. */
  public static final long DEFAULT_CHUNK_BYTES = FusedLinearDriver.DEFAULT_CHUNK_BYTES;

  /**
   * Rows per chunk so that the chunk's logits fit in {@code chunkBytes} ({@link
   * FusedLinearDriver#chunkRows}). (bf16 heads under {@link GradAccumulation#FLOAT32} also hold
   * one block of the weight gradient, a quarter of {@code chunkBytes} in bf16 plus the GEMM's
   * temporaries, while a chunk is projected.)
   */
  public static long chunkRows(long rows, long vocab, ScalarType dtype, long chunkBytes) {
    return FusedLinearDriver.chunkRows(rows, vocab, dtype == ScalarType.BFloat16 ? 2 : 4,
        chunkBytes);
  }

  /**
   * The default logits budget for this head ({@link FusedLinearDriver#defaultChunkBytes}): 1024
   * rows of logits when they fit in 128 MiB, else 512 rows, never below 32 MiB (V = 32000: 125
   * MiB fp32, 62.5 MiB bf16; V = 128256: 250.5 MiB fp32, 125.25 MiB bf16), so the per-chunk
   * GEMMs keep their full-matrix rate.
   */
  public static long defaultChunkBytes(LinearHead head) {
    if (head == null) {
      throw new IllegalArgumentException("head is null");
    }
    return FusedLinearDriver.defaultChunkBytes(head.vocab(),
        head.dtype == ScalarType.BFloat16 ? 2 : 4);
  }

  /** Phase one: statistics and per-row lse, chunk by chunk; no gradient. */
  public static LinearForward forward(LinearHead head, LossSpec spec, long chunkBytes) {
    requireArgs(head, spec);
    LinearLabels labels = head.labels(spec);
    long chunk = chunkRows(head.rows(), head.vocab(), head.dtype, chunkBytes);
    Tensor lse = newRowLse(head);
    LinearStats stats;
    try (Chunks c = new Chunks(head, chunk, chunkBytes, GradAccumulation.HEAD_DTYPE, null, lse)) {
      stats = FusedLinearDriver.forward(labels, chunk, c);
    }
    return new LinearForward(head, spec, lse, stats);
  }

  /** Phase two: the gradients from {@link #forward}'s lse and the coefficients, chunk by chunk. */
  public static LinearResult backward(LinearForward fwd, float[] coefficients, long chunkBytes) {
    return backward(fwd, coefficients, chunkBytes, GradAccumulation.HEAD_DTYPE);
  }

  /** {@link #backward(LinearForward, float[], long)} with the gradients' accumulator dtype. */
  public static LinearResult backward(
      LinearForward fwd, float[] coefficients, long chunkBytes, GradAccumulation accumulation) {
    return backward(fwd, coefficients, chunkBytes, accumulation, false);
  }

  private static LinearResult backward(LinearForward fwd, float[] coefficients, long chunkBytes,
      GradAccumulation accumulation, boolean intoWeightGrad) {
    if (fwd == null) {
      throw new IllegalArgumentException("forward is null");
    }
    requireAccumulation(accumulation);
    LinearHead head = fwd.head();
    LinearLabels labels = head.labels(fwd.spec());
    long chunk = chunkRows(head.rows(), head.vocab(), head.dtype, chunkBytes);
    boolean inHeadDtype =
        head.dtype == ScalarType.Float || accumulation == GradAccumulation.HEAD_DTYPE;
    Tensor into = intoWeightGrad && inHeadDtype ? Chunks.weightGrad(head) : null;
    try (Chunks c = new Chunks(head, chunk, chunkBytes, accumulation, into, fwd.rowLse())) {
      double total = FusedLinearDriver.backward(labels, fwd.stats(), coefficients, chunk, c);
      return new LinearResult(total, fwd, c.gradHidden, c.gradWeight, c.gradBias, chunk,
          c.inWeightGrad);
    }
  }

  /** One pass: statistics, objective and gradients (accumulated in the head's dtype). */
  public static LinearResult forwardBackward(
      LinearHead head, float[] coefficients, LossSpec spec, long chunkBytes) {
    return forwardBackward(head, coefficients, spec, chunkBytes, GradAccumulation.HEAD_DTYPE);
  }

  /** {@link #forwardBackward(LinearHead, float[], LossSpec, long)} with the accumulator dtype. */
  public static LinearResult forwardBackward(LinearHead head, float[] coefficients, LossSpec spec,
      long chunkBytes, GradAccumulation accumulation) {
    return forwardBackward(head, coefficients, spec, chunkBytes, accumulation, false);
  }

  /**
   * One pass that adds this call's weight gradient into the caller's {@code gradWeight} ({@code
   * [V, H]}, contiguous, on the weight's device, the head's dtype or float32): a gradient kept
   * across micro-batches or a trainer's own parameter-gradient buffer, so the call allocates no
   * {@code [V, H]} array. The result's {@code gradWeight()} is {@code gradWeight} itself. A
   * float32 buffer for a bf16 head accumulates as {@link GradAccumulation#FLOAT32} does; the bias
   * gradient is returned as by {@link #forwardBackward(LinearHead, float[], LossSpec, long)}.
   */
  public static LinearResult forwardBackward(LinearHead head, float[] coefficients, LossSpec spec,
      long chunkBytes, Tensor gradWeight) {
    requireArgs(head, spec);
    requireGradWeight(head, gradWeight);
    GradAccumulation accumulation = TorchChecks.scalarType(gradWeight) == head.dtype
        ? GradAccumulation.HEAD_DTYPE : GradAccumulation.FLOAT32;
    return forwardBackward(head, coefficients, spec, chunkBytes, accumulation, gradWeight);
  }

  private static LinearResult forwardBackward(LinearHead head, float[] coefficients,
      LossSpec spec, long chunkBytes, GradAccumulation accumulation, boolean intoWeightGrad) {
    requireArgs(head, spec);
    requireAccumulation(accumulation);
    boolean inHeadDtype =
        head.dtype == ScalarType.Float || accumulation == GradAccumulation.HEAD_DTYPE;
    Tensor into = intoWeightGrad && inHeadDtype ? Chunks.weightGrad(head) : null;
    return forwardBackward(head, coefficients, spec, chunkBytes, accumulation, into);
  }

  /** {@code into}: the tensor the weight gradient is added into, or null for a fresh one. */
  private static LinearResult forwardBackward(LinearHead head, float[] coefficients,
      LossSpec spec, long chunkBytes, GradAccumulation accumulation, Tensor into) {
    LinearLabels labels = head.labels(spec);
    long chunk = chunkRows(head.rows(), head.vocab(), head.dtype, chunkBytes);
    Tensor lse = newRowLse(head);
    try (Chunks c = new Chunks(head, chunk, chunkBytes, accumulation, into, lse)) {
      FusedLinearDriver.Pass pass =
          FusedLinearDriver.forwardBackward(labels, coefficients, chunk, c);
      return new LinearResult(pass.total(), new LinearForward(head, spec, lse, pass.stats()),
          c.gradHidden, c.gradWeight, c.gradBias, chunk, c.inWeightGrad);
    }
  }

  private static Tensor newRowLse(LinearHead head) {
    return head.targets.new_empty(new long[] {head.rows()}, new TensorOptions(ScalarType.Float));
  }

  /**
   * {@link #forwardBackward}, then one autograd call that accumulates the weight and bias
   * gradients into {@code weight.grad} / {@code bias.grad} and sends grad_hidden into the model
   * ({@code hidden.backward(gradHidden)}); a weight tied to an input embedding receives both
   * contributions. Tensors that do not require grad are skipped.
   *
   * <p>A leaf weight under {@link GradAccumulation#HEAD_DTYPE} (every fp32 head) has its chunks
   * accumulated straight into {@code weight.grad} (created as zeros when undefined; used when
   * it is a contiguous tensor of the weight's dtype), so the step holds no {@code [V, H]} array
   * besides the gradient the weight keeps anyway; the result's {@code gradWeight()} is then
   * {@code weight.grad} itself, earlier accumulations and a tied embedding's term included.
   */
  public static LinearResult step(
      LinearHead head, float[] coefficients, LossSpec spec, long chunkBytes) {
    return step(head, coefficients, spec, chunkBytes, GradAccumulation.HEAD_DTYPE);
  }

  /** {@link #step(LinearHead, float[], LossSpec, long)} with the accumulator dtype. */
  public static LinearResult step(LinearHead head, float[] coefficients, LossSpec spec,
      long chunkBytes, GradAccumulation accumulation) {
    LinearResult r = forwardBackward(head, coefficients, spec, chunkBytes, accumulation, true);
    applyToAutograd(head, r);
    return r;
  }

  /** Two-phase {@link #step}: {@link #backward} then the same autograd call. */
  public static LinearResult step(LinearForward fwd, float[] coefficients, long chunkBytes) {
    return step(fwd, coefficients, chunkBytes, GradAccumulation.HEAD_DTYPE);
  }

  /** {@link #step(LinearForward, float[], long)} with the accumulator dtype. */
  public static LinearResult step(LinearForward fwd, float[] coefficients, long chunkBytes,
      GradAccumulation accumulation) {
    LinearResult r = backward(fwd, coefficients, chunkBytes, accumulation, true);
    applyToAutograd(fwd.head(), r);
    return r;
  }

  private static void applyToAutograd(LinearHead head, LinearResult r) {
    TensorVector roots = new TensorVector();
    TensorVector grads = new TensorVector();
    if (head.hidden.requires_grad()) {
      roots.push_back(head.hidden);
      grads.push_back(r.gradHidden());
    }
    if (head.weight.requires_grad() && !r.inWeightGrad()) {
      roots.push_back(head.weight);
      grads.push_back(r.gradWeight().to(head.dtype));
    }
    if (head.bias != null && head.bias.requires_grad()) {
      roots.push_back(head.bias);
      grads.push_back(r.gradBias().to(head.dtype));
    }
    if (roots.size() == 0) {
      return;
    }
    torch.backward(roots, grads, new BoolOptional(), false, new TensorVector());
    Reference.reachabilityFence(roots);
    Reference.reachabilityFence(grads);
  }

  private static void requireAccumulation(GradAccumulation accumulation) {
    if (accumulation == null) {
      throw new IllegalArgumentException("accumulation is null");
    }
  }

  private static void requireGradWeight(LinearHead head, Tensor g) {
    TorchChecks.requireDefined(g, "gradWeight");
    ScalarType t = TorchChecks.scalarType(g);
    if (t != head.dtype && t != ScalarType.Float) {
      throw new IllegalArgumentException("gradWeight dtype = " + t + " must be " + head.dtype
          + " (the head's) or Float");
    }
    if (g.dim() != 2 || g.size(0) != head.vocab() || g.size(1) != head.hiddenSize()) {
      throw new IllegalArgumentException("gradWeight shape = " + TorchChecks.shape(g)
          + " must be [" + head.vocab() + ", " + head.hiddenSize() + "]");
    }
    TorchChecks.requireContiguous(g, "gradWeight");
    if (!TorchChecks.device(g).equals(TorchChecks.device(head.weight))) {
      throw new IllegalArgumentException("gradWeight lives on " + TorchChecks.device(g)
          + ", the weight on " + TorchChecks.device(head.weight));
    }
    if (g.requires_grad()) {
      throw new IllegalArgumentException("gradWeight requires grad: pass a buffer, not a leaf");
    }
  }

  private static void requireArgs(LinearHead head, LossSpec spec) {
    if (head == null) {
      throw new IllegalArgumentException("head is null");
    }
    if (spec == null) {
      throw new IllegalArgumentException("spec is null");
    }
  }

  // ---- the GEMMs around each chunk --------------------------------------------------------

  private static final class Chunks implements FusedLinearDriver.Chunks, AutoCloseable {
    final LinearHead head;
    /** Per-row lse [rows], float32 on the head's device: written by forward, read by backward. */
    final Tensor lse;
    /** k_r [rows], float32 on the head's device. */
    Tensor k;
    final Tensor hidden;
    final Tensor weight;
    final Tensor weightT;
    final Tensor bias;
    final Tensor rowOffsets;
    final Tensor gradHidden;
    final Tensor gradWeight;
    final Tensor gradBias;
    /** The gradients accumulate in the head's dtype: each chunk's GEMM adds into them. */
    final boolean inHeadDtype;
    /** gradWeight is a caller's tensor (weight.grad in step): the chunks add into it. */
    final boolean inWeightGrad;
    /**
     * Vocabulary rows per block of the bf16 product added into float32 accumulators: its bf16
     * output is a quarter of the budget, since the GEMM's own temporaries (a float32 output, a
     * copy of the transposed g block) come on top.
     */
    final long weightBlock;
    /**
     * The one [chunk, V] logits array every chunk's GEMM writes into (a view of its first n rows
     * for a shorter last chunk) and the kernel overwrites with g: allocated once per pass, so the
     * pages of a fresh chunk-sized array are not faulted in again for every chunk.
     */
    final Tensor logitsBuffer;

    /** {@code into}: the tensor the weight gradient is added into, or null for a fresh one. */
    Chunks(LinearHead head, long chunk, long chunkBytes, GradAccumulation accumulation,
        Tensor into, Tensor lse) {
      this.head = head;
      this.lse = lse;
      this.inHeadDtype =
          head.dtype == ScalarType.Float || accumulation == GradAccumulation.HEAD_DTYPE;
      ScalarType gradType = inHeadDtype ? head.dtype : ScalarType.Float;
      this.weightBlock = Math.max(1, Math.min(head.vocab(), chunkBytes / (8 * head.hiddenSize())));
      // Detached views: the chunk GEMMs are not recorded by autograd.
      this.hidden = head.hidden.detach().contiguous();
      this.weight = head.weight.detach();
      this.weightT = weight.t();
      this.bias = head.bias == null ? null : head.bias.detach();
      this.rowOffsets = torch.arange(new Scalar(chunk + 1), head.targets.options());
      this.logitsBuffer = head.weight.new_empty(new long[] {chunk, head.vocab()},
          new TensorOptions(head.dtype));
      this.gradHidden = torch.zeros_like(hidden);
      this.inWeightGrad = into != null;
      this.gradWeight = into != null ? into : head.weight.new_zeros(
          new long[] {head.vocab(), head.hiddenSize()}, new TensorOptions(gradType));
      this.gradBias = head.bias == null ? null
          : head.weight.new_zeros(new long[] {head.vocab()}, new TensorOptions(gradType));
    }

    /**
     * {@code weight.grad} of a leaf weight that requires grad, set to zeros when undefined; null
     * when the weight is not such a leaf or its gradient is not a contiguous tensor of the
     * weight's dtype (autograd then accumulates as for any other root).
     */
    static Tensor weightGrad(LinearHead head) {
      Tensor w = head.weight;
      if (!w.requires_grad() || !w.is_leaf()) {
        return null;
      }
      Tensor g = w.grad();
      if (!g.defined()) {
        g = w.new_zeros(new long[] {head.vocab(), head.hiddenSize()}, new TensorOptions(head.dtype));
        w.mutable_grad().put(g);
        return g;
      }
      boolean usable = TorchChecks.scalarType(g) == head.dtype && g.is_contiguous()
          && g.dim() == 2 && g.size(0) == head.vocab() && g.size(1) == head.hiddenSize()
          && TorchChecks.device(g).equals(TorchChecks.device(w)) && !g.requires_grad();
      return usable ? g : null;
    }

    @Override
    public void coefficients(float[] rowCoefficients) {
      k = head.targets.new_empty(new long[] {rowCoefficients.length},
          new TensorOptions(ScalarType.Float));
      if (rowCoefficients.length > 0) {
        try (FloatPointer p = new FloatPointer(rowCoefficients)) {
          k.copy_(torch.from_blob(p, new long[] {rowCoefficients.length},
              new TensorOptions(ScalarType.Float)));
        }
      }
    }

    @Override
    @SuppressWarnings("try") // the per-chunk scope is closed, never read
    public void forward(long r0, long n, LossSpec rowSpec, FusedLinearDriver.Rows rows) {
      // Frees this chunk's tensors (logits, views, statistics) before the next chunk.
      try (PointerScope scope = new PointerScope()) {
        TorchStats st = TorchLoss.forward(logits(r0, n), rowSpec);
        keep(r0, n, st, rows);
      }
    }

    @Override
    @SuppressWarnings("try") // the per-chunk scope is closed, never read
    public double forwardBackward(long r0, long n, LossSpec rowSpec,
        FusedLinearDriver.Rows rows) {
      try (PointerScope scope = new PointerScope()) {
        TorchBatch batch = logits(r0, n);
        TorchResult r = TorchLoss.forwardBackward(batch, k.narrow(0, r0, n), rowSpec, null);
        keep(r0, n, r.stats(), rows);
        project(r0, n, batch.logits());
        return r.total();
      }
    }

    @Override
    @SuppressWarnings("try") // the per-chunk scope is closed, never read
    public void backward(long r0, long n, LossSpec rowSpec) {
      try (PointerScope scope = new PointerScope()) {
        TorchBatch batch = logits(r0, n);
        Tensor l = lse.narrow(0, r0, n);
        Tensor kc = k.narrow(0, r0, n);
        FusedLinearDriver.backwardInPlace(batch.nativeBatch(), TorchChecks.address(l),
            TorchChecks.address(kc), rowSpec, batch, l, kc);
        project(r0, n, batch.logits());
      }
    }

    /** One sample per row: the per-sample outputs are the row's values (0 on ignored rows). */
    private void keep(long r0, long n, TorchStats st, FusedLinearDriver.Rows rows) {
      lse.narrow(0, r0, n).copy_(st.rowLse());
      rows.put(r0, Tensors64.toFloats(st.loss()), Tensors64.toFloats(st.logProbSum()),
          Tensors64.toFloats(st.meanEntropy()));
    }

    /** The chunk's logits [n, V] as a batch with one sample per row. */
    TorchBatch logits(long r0, long n) {
      Tensor h = hidden.narrow(0, r0, n);
      Tensor z = logitsBuffer.narrow(0, 0, n);
      if (bias == null) {
        torch.mm_out(z, h, weightT);
      } else {
        torch.addmm_out(z, bias, h, weightT);
      }
      return TorchBatch.of(z, head.targets.narrow(0, r0, n), rowOffsets.narrow(0, 0, n + 1));
    }

    /** Frees the logits array when the pass ends, not when the collector finds it. */
    @Override
    public void close() {
      logitsBuffer.close();
    }

    /** g (the chunk's weighted gradient, [n, V]) into grad_hidden, grad_W and grad_b. */
    @SuppressWarnings("try") // the per-block scope is closed, never read
    void project(long r0, long n, Tensor g) {
      Tensor h = hidden.narrow(0, r0, n);
      // grad_h = g W as (W^T g^T)^T: the same product in the operand order whose GEMM kernel
      // ran 2x faster for fp32 (n = 512, K = V = 32000) and 1.3x for bf16 (n = 256, K = 128256)
      // on this machine's libtorch, for an [H, n] temporary.
      gradHidden.narrow(0, r0, n).copy_(weightT.mm(g.t()).t());
      // The bias gradient's row sum runs in float32 and is rounded once into the accumulator.
      Tensor gb = gradBias == null ? null
          : g.sum(new long[] {0}, false, new ScalarTypeOptional(ScalarType.Float));
      if (inHeadDtype) {
        // grad_W = round(grad_W + g^T h): one GEMM (float32 inside, beta = 1), no temporary.
        gradWeight.addmm_(g.t(), h);
        if (gb != null) {
          gradBias.add_(gb);
        }
        return;
      }
      // float32 accumulators of a bf16 head: g^T h as a bf16 GEMM (float32 accumulation inside;
      // several times faster than a float32 GEMM on bf16 hardware), one block of vocabulary rows
      // at a time so the bf16 temporary stays within the budget, added into float32.
      for (long v0 = 0; v0 < head.vocab(); v0 += weightBlock) {
        long m = Math.min(weightBlock, head.vocab() - v0);
        try (PointerScope scope = new PointerScope()) {
          gradWeight.narrow(0, v0, m).add_(g.narrow(1, v0, m).t().mm(h));
        }
      }
      if (gb != null) {
        gradBias.add_(gb);
      }
    }
  }
}
