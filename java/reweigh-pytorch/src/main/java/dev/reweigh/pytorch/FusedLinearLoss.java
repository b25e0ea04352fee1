package dev.reweigh.pytorch;

import dev.reweigh.FusedLoss;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeGrad;
import dev.reweigh.TokenReduction;
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
 * The coefficients enter g row by row, before the weight-gradient projection: grad_W = sum_r
 * k_r dL_r/dz_r^T h_r, which no scaling after the projection can reproduce when k differs per
 * sample. Each chunk runs the kernel with one sample per row, coefficient k_r = c_s (SUM) or c_s
 * / tokenCount_s (MEAN) and the global D as an explicit normaliser, so a sample may span chunks;
 * D and k depend only on targets, offsets and coefficients, known before the first chunk.
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

  /**
   * Default budget per chunk: 64 MiB, enough rows for efficient GEMMs (524 rows at V = 32000,
   * 130 at V = 128256) while the chunk stays small next to the weight gradient.
   */
  public static final long DEFAULT_CHUNK_BYTES = 64L << 20;

  /**
   * Rows per chunk so that the chunk's logits fit in {@code chunkBytes}; at least 1, at most
   * {@code rows}, a multiple of 64 when the budget holds 64 rows or more and not every row. (bf16 heads under {@link GradAccumulation#FLOAT32} also hold one block of the
   * weight gradient, a quarter of {@code chunkBytes} in bf16 plus the GEMM's temporaries, while
   * a chunk is projected.)
   */
  public static long chunkRows(long rows, long vocab, ScalarType dtype, long chunkBytes) {
    if (chunkBytes < 1) {
      throw new IllegalArgumentException("chunkBytes = " + chunkBytes + " must be >= 1");
    }
    long perRow = Math.multiplyExact(vocab, dtype == ScalarType.BFloat16 ? 2 : 4);
    long fit = chunkBytes / perRow;
    if (fit < rows && fit >= ROW_ALIGN) {
      // GEMM kernels tile rows in multiples of 16 to 64: g W over a 128256-wide vocabulary took
      // twice as long for 261 rows as for 256 (bf16, AMX), so full chunks keep whole tiles.
      fit -= fit % ROW_ALIGN;
    }
    return Math.max(1, Math.min(Math.max(rows, 1), fit));
  }

  /** Rows per chunk are a multiple of this when the budget holds at least that many. */
  static final long ROW_ALIGN = 64;

  /** Phase one: statistics and per-row lse, chunk by chunk; no gradient. */
  @SuppressWarnings("try") // the per-chunk scope is closed, never read
  public static LinearForward forward(LinearHead head, LossSpec spec, long chunkBytes) {
    requireArgs(head, spec);
    Labels labels = new Labels(head, spec);
    long chunk = chunkRows(head.rows, head.vocab, head.dtype, chunkBytes);
    LossSpec rowSpec = spec.toBuilder().tokenReduction(TokenReduction.SUM).normalizer(1.0).build();
    Tensor lse = head.targets.new_empty(new long[] {head.rows}, new TensorOptions(ScalarType.Float));
    RowStats rows = new RowStats(head.rows);
    Chunks c = new Chunks(head, chunk, chunkBytes, GradAccumulation.HEAD_DTYPE, false);
    for (long r0 = 0; r0 < head.rows; r0 += chunk) {
      long n = Math.min(chunk, head.rows - r0);
      // Frees this chunk's tensors (logits, views, statistics) before the next chunk.
      try (PointerScope scope = new PointerScope()) {
        TorchBatch batch = c.logits(r0, n);
        TorchStats st = TorchLoss.forward(batch, rowSpec);
        lse.narrow(0, r0, n).copy_(st.rowLse());
        rows.put(r0, st);
      }
    }
    return rows.toForward(head, spec, labels, lse);
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

  @SuppressWarnings("try") // the per-chunk scope is closed, never read
  private static LinearResult backward(LinearForward fwd, float[] coefficients, long chunkBytes,
      GradAccumulation accumulation, boolean intoWeightGrad) {
    if (fwd == null) {
      throw new IllegalArgumentException("forward is null");
    }
    requireAccumulation(accumulation);
    LinearHead head = fwd.head;
    Labels labels = new Labels(head, fwd.spec);
    double d = labels.normalizer(coefficients);
    Tensor k = labels.rowCoefficients(coefficients);
    LossSpec rowSpec = labels.rowSpec(d);
    long chunk = chunkRows(head.rows, head.vocab, head.dtype, chunkBytes);
    Chunks c = new Chunks(head, chunk, chunkBytes, accumulation, intoWeightGrad);
    for (long r0 = 0; r0 < head.rows; r0 += chunk) {
      long n = Math.min(chunk, head.rows - r0);
      // Frees this chunk's tensors (logits, views, statistics) before the next chunk.
      try (PointerScope scope = new PointerScope()) {
        TorchBatch batch = c.logits(r0, n);
        Tensor lse = fwd.rowLse.narrow(0, r0, n);
        Tensor kc = k.narrow(0, r0, n);
        try {
          FusedLoss.backward(batch.nativeBatch(), TorchChecks.address(lse), TorchChecks.address(kc),
              rowSpec, NativeGrad.inPlace(batch.nativeBatch()));
        } finally {
          Reference.reachabilityFence(batch);
          Reference.reachabilityFence(lse);
          Reference.reachabilityFence(kc);
        }
        c.project(r0, n, batch.logits());
      }
    }
    return new LinearResult(weightedTotal(fwd, coefficients, d), fwd, c.gradHidden,
        c.gradWeight, c.gradBias, chunk, c.inWeightGrad);
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

  @SuppressWarnings("try") // the per-chunk scope is closed, never read
  private static LinearResult forwardBackward(LinearHead head, float[] coefficients,
      LossSpec spec, long chunkBytes, GradAccumulation accumulation, boolean intoWeightGrad) {
    requireArgs(head, spec);
    requireAccumulation(accumulation);
    Labels labels = new Labels(head, spec);
    double d = labels.normalizer(coefficients);
    Tensor k = labels.rowCoefficients(coefficients);
    LossSpec rowSpec = labels.rowSpec(d);
    long chunk = chunkRows(head.rows, head.vocab, head.dtype, chunkBytes);
    Tensor lse = head.targets.new_empty(new long[] {head.rows}, new TensorOptions(ScalarType.Float));
    RowStats rows = new RowStats(head.rows);
    Chunks c = new Chunks(head, chunk, chunkBytes, accumulation, intoWeightGrad);
    double total = 0;
    for (long r0 = 0; r0 < head.rows; r0 += chunk) {
      long n = Math.min(chunk, head.rows - r0);
      // Frees this chunk's tensors (logits, views, statistics) before the next chunk.
      try (PointerScope scope = new PointerScope()) {
        TorchBatch batch = c.logits(r0, n);
        TorchResult r = TorchLoss.forwardBackward(batch, k.narrow(0, r0, n), rowSpec, null);
        total += r.total();
        lse.narrow(0, r0, n).copy_(r.stats().rowLse());
        rows.put(r0, r.stats());
        c.project(r0, n, batch.logits());
      }
    }
    return new LinearResult(total, rows.toForward(head, spec, labels, lse), c.gradHidden,
        c.gradWeight, c.gradBias, chunk, c.inWeightGrad);
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
    applyToAutograd(fwd.head, r);
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

  private static double weightedTotal(LinearForward fwd, float[] c, double d) {
    double total = 0;
    for (int s = 0; s < fwd.samples(); s++) {
      if (fwd.tokenCount(s) > 0) {
        total += c[s] * fwd.loss(s);
      }
    }
    return total / d;
  }

  private static void requireAccumulation(GradAccumulation accumulation) {
    if (accumulation == null) {
      throw new IllegalArgumentException("accumulation is null");
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

  // ---- labels: counts, D and per-row coefficients (host, O(rows)) --------------------------

  private static final class Labels {
    final LinearHead head;
    final LossSpec spec;
    final long[] counts;

    Labels(LinearHead head, LossSpec spec) {
      this.head = head;
      this.spec = spec;
      int samples = (int) head.samples();
      counts = new long[samples];
      for (int s = 0; s < samples; s++) {
        for (long r = head.hostOffsets[s]; r < head.hostOffsets[s + 1]; r++) {
          long y = head.hostTargets[(int) r];
          if (y == spec.ignoreIndex()) {
            continue;
          }
          if (y < 0 || y >= head.vocab) {
            throw new IllegalArgumentException("targets[" + r + "] = " + y + " is outside [0, vocab = "
                + head.vocab + ") and is not ignoreIndex (" + spec.ignoreIndex() + ")");
          }
          counts[s]++;
        }
      }
    }

    void checkCoefficients(float[] c) {
      if (c == null) {
        throw new IllegalArgumentException("coefficients is null");
      }
      if (c.length != counts.length) {
        throw new IllegalArgumentException("coefficients.length = " + c.length
            + " must equal the number of samples = " + counts.length);
      }
      for (int s = 0; s < c.length; s++) {
        if (!Float.isFinite(c[s])) {
          throw new IllegalArgumentException("coefficients[" + s + "] = " + c[s] + " is not finite");
        }
      }
    }

    /** D of docs/design.md §3 from counts and coefficients. */
    double normalizer(float[] c) {
      checkCoefficients(c);
      double d = 0;
      switch (spec.normalization()) {
        case WEIGHT_SUM:
          for (int s = 0; s < c.length; s++) {
            if (counts[s] > 0) {
              if (c[s] < 0) {
                throw new IllegalArgumentException("coefficients[" + s + "] = " + c[s]
                    + " is negative: WEIGHT_SUM needs coefficients >= 0 (use NONE or an explicit D)");
              }
              d += c[s];
            }
          }
          break;
        case TOKENS:
          for (long n : counts) {
            d += n;
          }
          break;
        case SAMPLES:
          for (long n : counts) {
            d += n > 0 ? 1 : 0;
          }
          break;
        case NONE:
          d = 1;
          break;
        default:
          d = spec.normalizer();
          break;
      }
      if (d == 0 || !Double.isFinite(d)) {
        throw new IllegalArgumentException("normalizer D = " + d + " under normalization "
            + spec.normalization() + " must be finite and nonzero");
      }
      return d;
    }

    /** k_r = c_s (SUM) or c_s / tokenCount_s (MEAN), float32 [rows] on the head's device. */
    Tensor rowCoefficients(float[] c) {
      float[] k = new float[(int) head.rows];
      for (int s = 0; s < counts.length; s++) {
        if (counts[s] == 0) {
          continue;
        }
        double ks = spec.tokenReduction() == TokenReduction.MEAN ? (double) c[s] / counts[s] : c[s];
        for (long r = head.hostOffsets[s]; r < head.hostOffsets[s + 1]; r++) {
          k[(int) r] = (float) ks;
        }
      }
      Tensor t = head.targets.new_empty(new long[] {k.length}, new TensorOptions(ScalarType.Float));
      if (k.length > 0) {
        try (FloatPointer p = new FloatPointer(k)) {
          t.copy_(torch.from_blob(p, new long[] {k.length}, new TensorOptions(ScalarType.Float)));
        }
      }
      return t;
    }

    /** One sample per row, SUM over its single row, the global D. */
    LossSpec rowSpec(double d) {
      return spec.toBuilder().tokenReduction(TokenReduction.SUM).normalizer(d).build();
    }
  }

  // ---- per-row statistics gathered from the chunks, reduced per sample in float64 ----------

  private static final class RowStats {
    final float[] loss;
    final float[] logp;
    final float[] entropy;

    RowStats(long rows) {
      loss = new float[(int) rows];
      logp = new float[(int) rows];
      entropy = new float[(int) rows];
    }

    void put(long r0, TorchStats st) {
      // One sample per row: the per-sample outputs are the row's values (0 on ignored rows).
      System.arraycopy(Tensors64.toFloats(st.loss()), 0, loss, (int) r0, (int) st.loss().numel());
      System.arraycopy(Tensors64.toFloats(st.logProbSum()), 0, logp, (int) r0,
          (int) st.loss().numel());
      System.arraycopy(Tensors64.toFloats(st.meanEntropy()), 0, entropy, (int) r0,
          (int) st.loss().numel());
    }

    LinearForward toForward(LinearHead head, LossSpec spec, Labels labels, Tensor lse) {
      int samples = labels.counts.length;
      double[] l = new double[samples];
      double[] p = new double[samples];
      double[] e = new double[samples];
      for (int s = 0; s < samples; s++) {
        for (long r = head.hostOffsets[s]; r < head.hostOffsets[s + 1]; r++) {
          l[s] += loss[(int) r];
          p[s] += logp[(int) r];
          e[s] += entropy[(int) r];
        }
        long n = labels.counts[s];
        if (n > 0) {
          if (spec.tokenReduction() == TokenReduction.MEAN) {
            l[s] /= n;
          }
          e[s] /= n;
        }
      }
      return new LinearForward(head, spec, lse, l, p, labels.counts.clone(), e);
    }
  }

  // ---- the GEMMs around each chunk --------------------------------------------------------

  private static final class Chunks {
    final LinearHead head;
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
    /** gradWeight is weight.grad: the chunks accumulate into the leaf's own gradient. */
    final boolean inWeightGrad;
    /**
     * Vocabulary rows per block of the bf16 product added into float32 accumulators: its bf16
     * output is a quarter of the budget, since the GEMM's own temporaries (a float32 output, a
     * copy of the transposed g block) come on top.
     */
    final long weightBlock;

    Chunks(LinearHead head, long chunk, long chunkBytes, GradAccumulation accumulation,
        boolean intoWeightGrad) {
      this.head = head;
      this.inHeadDtype =
          head.dtype == ScalarType.Float || accumulation == GradAccumulation.HEAD_DTYPE;
      ScalarType gradType = inHeadDtype ? head.dtype : ScalarType.Float;
      this.weightBlock = Math.max(1, Math.min(head.vocab, chunkBytes / (8 * head.hiddenSize)));
      // Detached views: the chunk GEMMs are not recorded by autograd.
      this.hidden = head.hidden.detach().contiguous();
      this.weight = head.weight.detach();
      this.weightT = weight.t();
      this.bias = head.bias == null ? null : head.bias.detach();
      this.rowOffsets = torch.arange(new Scalar(chunk + 1), head.targets.options());
      this.gradHidden = torch.zeros_like(hidden);
      Tensor own = intoWeightGrad && inHeadDtype ? weightGrad(head) : null;
      this.inWeightGrad = own != null;
      this.gradWeight = own != null ? own : head.weight.new_zeros(
          new long[] {head.vocab, head.hiddenSize}, new TensorOptions(gradType));
      this.gradBias = head.bias == null ? null
          : head.weight.new_zeros(new long[] {head.vocab}, new TensorOptions(gradType));
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
        g = w.new_zeros(new long[] {head.vocab, head.hiddenSize}, new TensorOptions(head.dtype));
        w.mutable_grad().put(g);
        return g;
      }
      boolean usable = TorchChecks.scalarType(g) == head.dtype && g.is_contiguous()
          && g.dim() == 2 && g.size(0) == head.vocab && g.size(1) == head.hiddenSize
          && TorchChecks.device(g).equals(TorchChecks.device(w)) && !g.requires_grad();
      return usable ? g : null;
    }

    /** The chunk's logits [n, V] as a batch with one sample per row. */
    TorchBatch logits(long r0, long n) {
      Tensor h = hidden.narrow(0, r0, n);
      Tensor z = bias == null ? h.matmul(weightT) : torch.addmm(bias, h, weightT);
      return TorchBatch.of(z, head.targets.narrow(0, r0, n), rowOffsets.narrow(0, 0, n + 1));
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
      for (long v0 = 0; v0 < head.vocab; v0 += weightBlock) {
        long m = Math.min(weightBlock, head.vocab - v0);
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
