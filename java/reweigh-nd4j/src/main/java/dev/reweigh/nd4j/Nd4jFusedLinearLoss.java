package dev.reweigh.nd4j;

import dev.reweigh.FusedLinearDriver;
import dev.reweigh.LinearLabels;
import dev.reweigh.LinearStats;
import dev.reweigh.LossSpec;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Fused linear + cross-entropy on ND4J arrays with per-sample coefficients that never holds the
 * full {@code [rows, V]} logits (docs/design.md §6): the core's {@link FusedLinearDriver} runs
 * the chunks, this class supplies ND4J's GEMMs ({@code Nd4j.gemm} on the arrays' backend) and
 * Reweigh's kernel on each chunk:
 *
 * <pre>
 *   z   = hidden_chunk W^T (+ b)             one reused [chunk, V] buffer
 *   g   = d total / d z, in place over z      Reweigh's fused kernel, coefficients applied
 *   grad_hidden_chunk = g W
 *   grad_W += g^T hidden_chunk,  grad_b += sum_rows g
 * </pre>
 *
 * The coefficients enter g row by row, before the weight-gradient projection. FLOAT heads
 * ({@link Nd4jLinearHead} says why not BFLOAT16); the kernel runs on the host: the CPU backend.
 *
 * <pre>{@code
 * Nd4jLinearHead head = Nd4jLinearHead.of(hidden, weight, null, targets, offsets);
 * Nd4jLinearResult r = Nd4jFusedLinearLoss.forwardBackward(head, coefficients, spec,
 *     Nd4jFusedLinearLoss.DEFAULT_CHUNK_BYTES);
 * }</pre>
 */
public final class Nd4jFusedLinearLoss {
  private Nd4jFusedLinearLoss() {}

  /** Default logits budget per chunk: {@link FusedLinearDriver#DEFAULT_CHUNK_BYTES}. */
  public static final long DEFAULT_CHUNK_BYTES = FusedLinearDriver.DEFAULT_CHUNK_BYTES;

  /** Rows per chunk so that the chunk's logits fit in {@code chunkBytes}. */
  public static long chunkRows(Nd4jLinearHead head, long chunkBytes) {
    requireHead(head);
    return FusedLinearDriver.chunkRows(head.rows(), head.vocab(), Float.BYTES, chunkBytes);
  }

  /** Phase one: statistics and per-row lse, chunk by chunk; no gradient. */
  public static Nd4jLinearForward forward(Nd4jLinearHead head, LossSpec spec, long chunkBytes) {
    Chunks c = Chunks.start(head, spec, chunkBytes, null);
    LinearStats stats = FusedLinearDriver.forward(head.labels(spec), c.chunk, c);
    return new Nd4jLinearForward(head, spec, c.lse, stats);
  }

  /** Phase two: the gradients from {@link #forward}'s lse and the coefficients. */
  public static Nd4jLinearResult backward(
      Nd4jLinearForward fwd, float[] coefficients, long chunkBytes) {
    return backward(fwd, coefficients, chunkBytes, null);
  }

  /**
   * {@link #backward(Nd4jLinearForward, float[], long)} adding the weight gradient into {@code
   * gradWeight} ({@code [V, H]}, the head's data type, C order; e.g. a gradient that already
   * holds a tied input embedding's term), or into a new array when it is null.
   */
  public static Nd4jLinearResult backward(Nd4jLinearForward fwd, float[] coefficients,
      long chunkBytes, INDArray gradWeight) {
    if (fwd == null) {
      throw new IllegalArgumentException("forward is null");
    }
    Nd4jLinearHead head = fwd.head();
    LinearLabels labels = head.labels(fwd.spec());
    long chunk = chunkRows(head, chunkBytes);
    Chunks c = new Chunks(head, chunk, fwd.rowLse(), gradWeight);
    double total = FusedLinearDriver.backward(labels, fwd.stats(), coefficients, chunk, c);
    return c.result(total, fwd.stats());
  }

  /** One pass: statistics, objective and gradients. */
  public static Nd4jLinearResult forwardBackward(
      Nd4jLinearHead head, float[] coefficients, LossSpec spec, long chunkBytes) {
    return forwardBackward(head, coefficients, spec, chunkBytes, null);
  }

  /**
   * {@link #forwardBackward(Nd4jLinearHead, float[], LossSpec, long)} adding the weight gradient
   * into {@code gradWeight} as {@link #backward(Nd4jLinearForward, float[], long, INDArray)}.
   */
  public static Nd4jLinearResult forwardBackward(Nd4jLinearHead head, float[] coefficients,
      LossSpec spec, long chunkBytes, INDArray gradWeight) {
    Chunks c = Chunks.start(head, spec, chunkBytes, gradWeight);
    FusedLinearDriver.Pass pass =
        FusedLinearDriver.forwardBackward(head.labels(spec), coefficients, c.chunk, c);
    return c.result(pass.total(), pass.stats());
  }

  private static void requireHead(Nd4jLinearHead head) {
    if (head == null) {
      throw new IllegalArgumentException("head is null");
    }
  }

  /** ND4J's GEMMs and the kernel calls around each chunk. */
  private static final class Chunks implements FusedLinearDriver.Chunks {
    final Nd4jLinearHead head;
    final long chunk;
    /** The logits of one chunk, [chunk, V]; a chunk of n rows uses its first n rows. */
    final INDArray z;
    /** 0, 1, ..., chunk: one sample per row. */
    final INDArray rowOffsets;
    /** Per-row lse [rows] (at least one element): written by forward, read by backward. */
    final INDArray lse;
    final INDArray gradWeightInto;
    INDArray gradHidden;
    INDArray gradWeight;
    INDArray gradBias;
    /** k_r [rows] (at least one element), FLOAT. */
    INDArray k;

    Chunks(Nd4jLinearHead head, long chunk, INDArray lse, INDArray gradWeightInto) {
      this.head = head;
      this.chunk = chunk;
      this.lse = lse;
      this.gradWeightInto = gradWeightInto;
      if (gradWeightInto != null) {
        requireWeightGrad(head, gradWeightInto);
      }
      this.z = Nd4j.create(head.dtype, Math.min(chunk, Math.max(head.rows(), 1)), head.vocab());
      long[] off = new long[(int) z.size(0) + 1];
      for (int i = 0; i < off.length; i++) {
        off[i] = i;
      }
      this.rowOffsets = Nd4j.createFromArray(off);
    }

    /** A one-pass or phase-one run: fresh per-row lse. */
    static Chunks start(Nd4jLinearHead head, LossSpec spec, long chunkBytes,
        INDArray gradWeightInto) {
      requireHead(head);
      if (spec == null) {
        throw new IllegalArgumentException("spec is null");
      }
      INDArray lse = Nd4j.create(DataType.FLOAT, Math.max(head.rows(), 1));
      return new Chunks(head, chunkRows(head, chunkBytes), lse, gradWeightInto);
    }

    static void requireWeightGrad(Nd4jLinearHead head, INDArray g) {
      boolean ok = g.rank() == 2 && g.size(0) == head.vocab() && g.size(1) == head.hiddenSize()
          && g.dataType() == head.dtype && g.ordering() == 'c' && !g.isView();
      if (!ok) {
        throw new IllegalArgumentException("gradWeight " + Arrays.toString(g.shape()) + " "
            + g.dataType() + " (ordering " + g.ordering() + ") must be a C-order, non-view ["
            + head.vocab() + ", " + head.hiddenSize() + "] array of " + head.dtype);
      }
    }

    @Override
    public void coefficients(float[] rowCoefficients) {
      k = rowCoefficients.length == 0 ? Nd4j.create(DataType.FLOAT, 1)
          : Nd4j.createFromArray(rowCoefficients);
      gradHidden = Nd4j.create(head.dtype, head.rows(), head.hiddenSize());
      gradWeight = gradWeightInto != null ? gradWeightInto
          : Nd4j.create(head.dtype, head.vocab(), head.hiddenSize());
      gradBias = head.bias == null ? null : Nd4j.create(head.dtype, head.vocab());
    }

    @Override
    public void forward(long r0, long n, LossSpec rowSpec, FusedLinearDriver.Rows rows) {
      Nd4jStats st = Nd4jLoss.forward(logits(r0, n), rowSpec);
      keep(r0, n, st, rows);
    }

    @Override
    public double forwardBackward(long r0, long n, LossSpec rowSpec,
        FusedLinearDriver.Rows rows) {
      Nd4jBatch batch = logits(r0, n);
      Nd4jResult r = Nd4jLoss.forwardBackward(batch, slice(k, r0, n), rowSpec, null);
      keep(r0, n, r.stats(), rows);
      project(r0, n, batch.logits());
      return r.total();
    }

    @Override
    public void backward(long r0, long n, LossSpec rowSpec) {
      Nd4jBatch batch = logits(r0, n);
      INDArray l = slice(lse, r0, n);
      INDArray kc = slice(k, r0, n);
      FusedLinearDriver.backwardInPlace(batch.nativeBatch(), Nd4jChecks.address(l),
          Nd4jChecks.address(kc), rowSpec, batch, l, kc);
      project(r0, n, batch.logits());
    }

    /** One sample per row: the per-sample outputs are the row's values (0 on ignored rows). */
    private void keep(long r0, long n, Nd4jStats st, FusedLinearDriver.Rows rows) {
      slice(lse, r0, n).assign(st.rowLse());
      rows.put(r0, st.loss().toFloatVector(), st.logProbSum().toFloatVector(),
          st.meanEntropy().toFloatVector());
    }

    /** The chunk's logits [n, V] (z = h W^T + b) as a batch with one sample per row. */
    private Nd4jBatch logits(long r0, long n) {
      INDArray zc = rowBlock(z, 0, n);
      Nd4j.gemm(rowBlock(head.hidden, r0, n), head.weight, zc, false, true, 1.0, 0.0);
      if (head.bias != null) {
        zc.addiRowVector(head.bias);
      }
      return Nd4jBatch.of(zc, slice(head.targets, r0, n), slice(rowOffsets, 0, n + 1));
    }

    /** g (the chunk's weighted gradient, [n, V]) into grad_hidden, grad_W and grad_b. */
    private void project(long r0, long n, INDArray g) {
      Nd4j.gemm(g, head.weight, rowBlock(gradHidden, r0, n), false, false, 1.0, 0.0);
      Nd4j.gemm(g, rowBlock(head.hidden, r0, n), gradWeight, true, false, 1.0, 1.0);
      if (gradBias != null) {
        gradBias.addi(g.sum(0));
      }
    }

    Nd4jLinearResult result(double total, LinearStats stats) {
      return new Nd4jLinearResult(total, stats, gradHidden, gradWeight, gradBias, chunk);
    }

    private static INDArray rowBlock(INDArray a, long r0, long n) {
      return a.get(NDArrayIndex.interval(r0, r0 + n), NDArrayIndex.all());
    }

    private static INDArray slice(INDArray v, long r0, long n) {
      return v.get(NDArrayIndex.interval(r0, r0 + n));
    }
  }
}
