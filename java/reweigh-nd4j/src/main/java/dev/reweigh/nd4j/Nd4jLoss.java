package dev.reweigh.nd4j;

import dev.reweigh.AdapterChecks;
import dev.reweigh.FusedLoss;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeGrad;
import java.lang.ref.Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link FusedLoss} on ND4J arrays (CPU backend), zero copy: the kernels read the logits in place
 * (view offset and row stride respected), write the statistics into new ND4J arrays and the
 * gradient over the logits or into an array you pass. Semantics are those of {@link FusedLoss}.
 *
 * <pre>{@code
 * Nd4jBatch batch = Nd4jBatch.of(logits, targets, offsets);   // [rows, V], [rows], [S+1]
 * Nd4jStats st = Nd4jLoss.forward(batch, spec);
 * Nd4jResult r = Nd4jLoss.forwardBackward(batch, coefficients, spec, null);  // grad in place
 * }</pre>
 */
public final class Nd4jLoss {
  private Nd4jLoss() {}

  /** Per-sample and per-row statistics. */
  public static Nd4jStats forward(Nd4jBatch batch, LossSpec spec) {
    requireBatch(batch, spec);
    Nd4jStats st = Nd4jStats.allocate(batch);
    try {
      FusedLoss.forward(batch.nativeBatch, spec, st.nativeStats());
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(st);
    }
    return st;
  }

  /**
   * Statistics, objective and gradient in one pass. {@code coefficients}: FLOAT {@code
   * [samples]}. {@code grad}: an array shaped and typed like the logits (rows may be strided), or
   * {@code null} to write the gradient over the logits.
   */
  public static Nd4jResult forwardBackward(
      Nd4jBatch batch, INDArray coefficients, LossSpec spec, INDArray grad) {
    requireBatch(batch, spec);
    Nd4jChecks.requireFloatVector(coefficients, "coefficients", batch.samples);
    NativeGrad g = nativeGrad(batch, grad);
    Nd4jStats st = Nd4jStats.allocate(batch);
    INDArray total = Nd4j.create(DataType.DOUBLE, 1);
    try {
      FusedLoss.forwardBackward(batch.nativeBatch, Nd4jChecks.address(coefficients), spec, g,
          st.nativeStats(), Nd4jChecks.address(total));
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(coefficients);
      Reference.reachabilityFence(grad);
      Reference.reachabilityFence(st);
    }
    return new Nd4jResult(total.getDouble(0), st);
  }

  /** {@link #forwardBackward(Nd4jBatch, INDArray, LossSpec, INDArray)}, heap coefficients. */
  public static Nd4jResult forwardBackward(
      Nd4jBatch batch, float[] coefficients, LossSpec spec, INDArray grad) {
    requireBatch(batch, spec);
    return forwardBackward(batch, coefficientsArray(batch, coefficients), spec, grad);
  }

  /** The gradient alone, from the statistics of {@link #forward} on the same batch and options. */
  public static void backward(Nd4jBatch batch, Nd4jStats stats, INDArray coefficients,
      LossSpec spec, INDArray grad) {
    requireBatch(batch, spec);
    if (stats == null) {
      throw new IllegalArgumentException("stats is null");
    }
    Nd4jChecks.requireFloatVector(stats.rowLse(), "stats.rowLse", batch.rows);
    Nd4jChecks.requireFloatVector(coefficients, "coefficients", batch.samples);
    NativeGrad g = nativeGrad(batch, grad);
    try {
      FusedLoss.backward(batch.nativeBatch, Nd4jChecks.address(stats.rowLse()),
          Nd4jChecks.address(coefficients), spec, g);
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(stats);
      Reference.reachabilityFence(coefficients);
      Reference.reachabilityFence(grad);
    }
  }

  /** {@link #backward(Nd4jBatch, Nd4jStats, INDArray, LossSpec, INDArray)}, heap coefficients. */
  public static void backward(Nd4jBatch batch, Nd4jStats stats, float[] coefficients,
      LossSpec spec, INDArray grad) {
    requireBatch(batch, spec);
    backward(batch, stats, coefficientsArray(batch, coefficients), spec, grad);
  }

  private static void requireBatch(Nd4jBatch batch, LossSpec spec) {
    AdapterChecks.requireNonNull(batch, "batch");
    AdapterChecks.requireNonNull(spec, "spec");
  }

  private static NativeGrad nativeGrad(Nd4jBatch batch, INDArray grad) {
    if (grad == null) {
      return NativeGrad.inPlace(batch.nativeBatch);
    }
    AdapterChecks.requireGradShape(grad.shape(), batch.logits.shape());
    if (grad.dataType() != batch.logits.dataType()) {
      throw new IllegalArgumentException("grad data type " + grad.dataType()
          + " must equal the logits data type " + batch.logits.dataType());
    }
    return NativeGrad.ofAddress(Nd4jChecks.address(grad), Nd4jChecks.rowStride(grad, "grad"));
  }

  private static INDArray coefficientsArray(Nd4jBatch batch, float[] c) {
    AdapterChecks.requireCoefficients(c, batch.samples);
    return c.length == 0 ? Nd4j.create(DataType.FLOAT, 0) : Nd4j.createFromArray(c);
  }
}
