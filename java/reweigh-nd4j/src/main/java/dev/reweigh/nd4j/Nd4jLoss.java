package dev.reweigh.nd4j;

import dev.reweigh.AdapterChecks;
import dev.reweigh.AdapterLoss;
import dev.reweigh.FusedLoss;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeGrad;
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

  private static final Ops OPS = new Ops();

  /** Per-sample and per-row statistics. */
  public static Nd4jStats forward(Nd4jBatch batch, LossSpec spec) {
    return OPS.forward(batch, spec);
  }

  /**
   * Statistics, objective and gradient in one pass. {@code coefficients}: FLOAT {@code
   * [samples]}. {@code grad}: an array shaped and typed like the logits (rows may be strided), or
   * {@code null} to write the gradient over the logits.
   */
  public static Nd4jResult forwardBackward(
      Nd4jBatch batch, INDArray coefficients, LossSpec spec, INDArray grad) {
    return OPS.forwardBackward(batch, coefficients, spec, grad);
  }

  /** {@link #forwardBackward(Nd4jBatch, INDArray, LossSpec, INDArray)}, heap coefficients. */
  public static Nd4jResult forwardBackward(
      Nd4jBatch batch, float[] coefficients, LossSpec spec, INDArray grad) {
    return OPS.forwardBackward(batch, coefficients, spec, grad);
  }

  /** The gradient alone, from the statistics of {@link #forward} on the same batch and options. */
  public static void backward(Nd4jBatch batch, Nd4jStats stats, INDArray coefficients,
      LossSpec spec, INDArray grad) {
    OPS.backward(batch, stats, coefficients, spec, grad);
  }

  /** {@link #backward(Nd4jBatch, Nd4jStats, INDArray, LossSpec, INDArray)}, heap coefficients. */
  public static void backward(Nd4jBatch batch, Nd4jStats stats, float[] coefficients,
      LossSpec spec, INDArray grad) {
    OPS.backward(batch, stats, coefficients, spec, grad);
  }

  /** A gradient output shaped and typed like the logits (rows may be strided). */
  static NativeGrad nativeGrad(Nd4jBatch batch, INDArray grad) {
    AdapterChecks.requireGradShape(grad.shape(), batch.logits().shape());
    if (grad.dataType() != batch.logits().dataType()) {
      throw new IllegalArgumentException("grad data type " + grad.dataType()
          + " must equal the logits data type " + batch.logits().dataType());
    }
    return NativeGrad.ofAddress(Nd4jChecks.address(grad), Nd4jChecks.rowStride(grad, "grad"));
  }

  /** What ND4J contributes to the shared adapter calls. */
  private static final class Ops extends AdapterLoss<INDArray, Nd4jBatch, Nd4jStats, Nd4jResult> {
    @Override
    protected Nd4jStats allocateStats(Nd4jBatch batch) {
      return Nd4jStats.allocate(batch);
    }

    @Override
    protected void requireFloatVector(INDArray a, String name, long n, Nd4jBatch batch) {
      Nd4jChecks.requireFloatVector(a, name, n);
    }

    @Override
    protected long address(INDArray a) {
      return Nd4jChecks.address(a);
    }

    @Override
    protected NativeGrad grad(Nd4jBatch batch, INDArray grad) {
      return nativeGrad(batch, grad);
    }

    @Override
    protected INDArray floats(Nd4jBatch batch, float[] c) {
      return c.length == 0 ? Nd4j.create(DataType.FLOAT, 0) : Nd4j.createFromArray(c);
    }

    @Override
    protected INDArray newTotal(Nd4jBatch batch) {
      return Nd4j.create(DataType.DOUBLE, 1);
    }

    @Override
    protected Nd4jResult result(INDArray total, Nd4jStats stats) {
      return new Nd4jResult(total.getDouble(0), stats);
    }
  }
}
