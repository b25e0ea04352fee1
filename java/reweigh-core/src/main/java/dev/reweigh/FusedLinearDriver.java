package dev.reweigh;

import java.lang.ref.Reference;

/**
 * The chunk loop of a fused linear + cross-entropy (docs/design.md §6) that every adapter
 * shares: labels, normaliser and per-row coefficients from {@link LinearLabels}, the rows per
 * chunk from a memory budget, the per-row statistics gathered from the chunks and reduced per
 * sample, and the objective. The adapter supplies {@link Chunks}: its GEMMs on its arrays (the
 * logits {@code z = h W^T (+ b)} of one chunk, then {@code grad_h = g W}, {@code grad_W += g^T
 * h}, {@code grad_b += sum_rows g}) and the kernel calls on the chunk's logits.
 *
 * <p>Each chunk runs the kernel with one sample per row, coefficient k_r of {@link
 * LinearLabels#rowCoefficients} and the global D as an explicit normaliser, so a sample may span
 * chunks and the coefficients enter g before the weight-gradient projection: grad_W = sum_r k_r
 * dL_r/dz_r^T h_r / D, which no scaling after the projection reproduces when k differs per
 * sample.
 */
public final class FusedLinearDriver {
  private FusedLinearDriver() {}

  /**
   * Default logits budget per chunk: 32 MiB (512 rows of bf16 or 256 of fp32 at V = 32000, 128
   * or 64 at V = 128256). A call's peak extra memory is about the returned gradients plus one
   * chunk of logits; at (rows, H, V) = (4096, 1024, 32000) bf16 this budget keeps a
   * forwardBackward at 1/9.4 of libtorch's unfused peak where 64 MiB gives 1/7.2, and the paired
   * time ratio to the unfused path stayed within the machine's noise of 64 MiB's (0.53 against
   * 0.49). Larger budgets amortise streaming the weight over more rows at large vocabularies.
   */
  public static final long DEFAULT_CHUNK_BYTES = 32L << 20;

  /** The fewest rows per chunk {@link #defaultChunkBytes} plans for. */
  public static final long MIN_CHUNK_ROWS = 512;

  /**
   * The rows per chunk {@link #defaultChunkBytes} plans for when their logits fit in {@link
   * #PREFERRED_CHUNK_MAX_BYTES}.
   */
  public static final long PREFERRED_CHUNK_ROWS = 1024;

  /** The most logits bytes for which {@link #defaultChunkBytes} takes PREFERRED_CHUNK_ROWS. */
  public static final long PREFERRED_CHUNK_MAX_BYTES = 128L << 20;

  /**
   * The default budget for a head: {@link #PREFERRED_CHUNK_ROWS} rows of logits when they fit in
   * {@link #PREFERRED_CHUNK_MAX_BYTES}, else {@link #MIN_CHUNK_ROWS}, and never below {@link
   * #DEFAULT_CHUNK_BYTES} (V = 32000: 125 MiB fp32, 62.5 MiB bf16, 1024 rows; V = 128256: 250.5
   * MiB fp32, 125.25 MiB bf16, 512 rows). Every chunk's weight-gradient GEMM {@code grad_W +=
   * g^T h} reads and writes all of grad_W ({@code V x H}) for {@code 2 R V H} flops, so R rows
   * per chunk give R / e flops per byte of grad_W (e bytes per element), and the chunk's GEMMs
   * run at their full-matrix rate only from a few hundred rows: (2048, 2048, 128256) fp32 ran at
   * 1.60 of libtorch's unfused time with 64 rows, 0.89 with 256, 0.78 with 512; (4096, 1024,
   * 32000) fp32 at 1.02 to 1.05 with 256 rows, 0.94 to 0.98 with 512, 0.88 to 0.90 with 1024
   * (paired, docs/design.md §6). The byte cap keeps the chunk under 1/8 of the unfused path's peak
   * (training-loop accounting, docs/design.md §6): 1024 fp32 rows at V = 128256 would be 501 MiB
   * of logits against that path's 4.2 GB.
   */
  public static long defaultChunkBytes(long vocab, int bytesPerLogit) {
    if (vocab < 1 || bytesPerLogit < 1) {
      throw new IllegalArgumentException("vocab = " + vocab + " and bytesPerLogit = "
          + bytesPerLogit + " must be >= 1");
    }
    long rowBytes = Math.multiplyExact(vocab, bytesPerLogit);
    long preferred = Math.multiplyExact(PREFERRED_CHUNK_ROWS, rowBytes);
    long bytes = preferred <= PREFERRED_CHUNK_MAX_BYTES ? preferred
        : Math.multiplyExact(MIN_CHUNK_ROWS, rowBytes);
    return Math.max(DEFAULT_CHUNK_BYTES, bytes);
  }

  /** Rows per chunk are a multiple of this when the budget holds at least that many. */
  public static final long ROW_ALIGN = 64;

  /**
   * Rows per chunk so that the chunk's logits ({@code vocab} elements of {@code bytesPerLogit}
   * bytes per row) fit in {@code chunkBytes}; at least 1, at most {@code rows}, a multiple of
   * {@link #ROW_ALIGN} when the budget holds that many rows and not every row.
   */
  public static long chunkRows(long rows, long vocab, int bytesPerLogit, long chunkBytes) {
    if (chunkBytes < 1) {
      throw new IllegalArgumentException("chunkBytes = " + chunkBytes + " must be >= 1");
    }
    long perRow = Math.multiplyExact(Math.max(vocab, 1), bytesPerLogit);
    long fit = chunkBytes / perRow;
    if (fit < rows && fit >= ROW_ALIGN) {
      // GEMM kernels tile rows in multiples of 16 to 64: g W over a 128256-wide vocabulary took
      // twice as long for 261 rows as for 256 (bf16, AMX), so full chunks keep whole tiles.
      fit -= fit % ROW_ALIGN;
    }
    return Math.max(1, Math.min(Math.max(rows, 1), fit));
  }

  /** What an adapter does per chunk of rows {@code [r0, r0 + n)}, on its own arrays. */
  public interface Chunks {
    /** Called once before the chunks of a pass with a gradient: k_r for every row. */
    void coefficients(float[] rowCoefficients);

    /**
     * Logits of the chunk and the kernel's forward (one sample per row, {@code rowSpec}): the
     * per-row loss, log-prob and entropy go to {@code rows}, the per-row lse stays with the
     * adapter for a later {@link #backward}.
     */
    void forward(long r0, long n, LossSpec rowSpec, Rows rows);

    /**
     * Logits, the kernel's forward + backward with the chunk's k (gradient in place over the
     * logits), per-row values into {@code rows} and lse kept, then the projection into the
     * hidden, weight and bias gradients. Returns the chunk's share of the objective.
     */
    double forwardBackward(long r0, long n, LossSpec rowSpec, Rows rows);

    /** Logits, the kernel's backward from the kept lse and the chunk's k, then the projection. */
    void backward(long r0, long n, LossSpec rowSpec);
  }

  /** The chunks' per-row values, reduced per sample in float64 once every chunk has run. */
  public static final class Rows {
    private final float[] loss;
    private final float[] logp;
    private final float[] entropy;

    Rows(long rows) {
      loss = new float[(int) rows];
      logp = new float[(int) rows];
      entropy = new float[(int) rows];
    }

    /**
     * The kernel's per-sample outputs of a chunk run with one sample per row (0 on ignored
     * rows): rows {@code [r0, r0 + loss.length)}.
     */
    public void put(long r0, float[] rowLoss, float[] rowLogp, float[] rowEntropy) {
      System.arraycopy(rowLoss, 0, loss, (int) r0, rowLoss.length);
      System.arraycopy(rowLogp, 0, logp, (int) r0, rowLoss.length);
      System.arraycopy(rowEntropy, 0, entropy, (int) r0, rowLoss.length);
    }

    LinearStats reduce(LinearLabels labels) {
      int samples = labels.samples();
      double[] l = new double[samples];
      double[] p = new double[samples];
      double[] e = new double[samples];
      long[] counts = new long[samples];
      for (int s = 0; s < samples; s++) {
        for (long r = labels.offset(s); r < labels.offset(s + 1); r++) {
          l[s] += loss[(int) r];
          p[s] += logp[(int) r];
          e[s] += entropy[(int) r];
        }
        long n = labels.tokenCount(s);
        counts[s] = n;
        if (n > 0) {
          if (labels.spec().tokenReduction() == TokenReduction.MEAN) {
            l[s] /= n;
          }
          e[s] /= n;
        }
      }
      return new LinearStats(l, p, counts, e);
    }
  }

  /** Objective, statistics and the normaliser of a pass with a gradient. */
  public record Pass(double total, LinearStats stats, double normalizer) {}

  /** Phase one: the statistics chunk by chunk (no D, no gradient); the adapter keeps the lse. */
  public static LinearStats forward(LinearLabels labels, long chunk, Chunks c) {
    requireChunk(chunk);
    LossSpec rowSpec = labels.rowSpec(1.0);
    Rows rows = new Rows(labels.rows());
    for (long r0 = 0; r0 < labels.rows(); r0 += chunk) {
      c.forward(r0, Math.min(chunk, labels.rows() - r0), rowSpec, rows);
    }
    return rows.reduce(labels);
  }

  /** One pass: statistics, objective and the gradients the adapter's projections accumulate. */
  public static Pass forwardBackward(LinearLabels labels, float[] coefficients, long chunk,
      Chunks c) {
    requireChunk(chunk);
    double d = labels.normalizer(coefficients);
    c.coefficients(labels.rowCoefficients(coefficients));
    LossSpec rowSpec = labels.rowSpec(d);
    Rows rows = new Rows(labels.rows());
    double total = 0;
    for (long r0 = 0; r0 < labels.rows(); r0 += chunk) {
      total += c.forwardBackward(r0, Math.min(chunk, labels.rows() - r0), rowSpec, rows);
    }
    return new Pass(total, rows.reduce(labels), d);
  }

  /**
   * Phase two: the gradients from phase one's lse (kept by the adapter) and coefficients that
   * may depend on {@code stats}; returns the objective {@code sum_s c_s loss_s / D}.
   */
  public static double backward(LinearLabels labels, LinearStats stats, float[] coefficients,
      long chunk, Chunks c) {
    requireChunk(chunk);
    double d = labels.normalizer(coefficients);
    c.coefficients(labels.rowCoefficients(coefficients));
    LossSpec rowSpec = labels.rowSpec(d);
    for (long r0 = 0; r0 < labels.rows(); r0 += chunk) {
      c.backward(r0, Math.min(chunk, labels.rows() - r0), rowSpec);
    }
    return labels.weightedTotal(stats, coefficients, d);
  }

  /**
   * The kernel's backward over a chunk's logits, in place, from per-row lse and k at native
   * addresses in the batch's memory space; {@code owners} (the arrays behind the addresses) stay
   * reachable until the kernel has returned.
   */
  public static void backwardInPlace(NativeBatch chunk, long rowLseAddress,
      long coefficientsAddress, LossSpec rowSpec, Object... owners) {
    try {
      FusedLoss.backward(chunk, rowLseAddress, coefficientsAddress, rowSpec,
          NativeGrad.inPlace(chunk));
    } finally {
      Reference.reachabilityFence(owners);
    }
  }

  private static void requireChunk(long chunk) {
    if (chunk < 1) {
      throw new IllegalArgumentException("chunk = " + chunk + " rows must be >= 1");
    }
  }
}
