package dev.reweigh.nd4j;

import dev.reweigh.AdapterStats;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-sample statistics as ND4J arrays, written by the kernels straight into their buffers:
 * {@code loss}, {@code logProbSum}, {@code meanEntropy} FLOAT {@code [samples]}, {@code
 * tokenCount} LONG {@code [samples]}, per row {@code rowLse}, {@code rowLogp}, {@code rowEntropy}
 * FLOAT {@code [rows]} (0 on ignored rows). The fields and their native view are {@link
 * AdapterStats}'s.
 */
public final class Nd4jStats extends AdapterStats<INDArray> {

  private Nd4jStats(long samples, long rows) {
    super(
        samples,
        rows,
        (n, int64) -> Nd4j.create(int64 ? DataType.INT64 : DataType.FLOAT, n),
        Nd4jChecks::address);
  }

  static Nd4jStats allocate(Nd4jBatch batch) {
    return new Nd4jStats(batch.samples(), batch.rows());
  }

  /** Per-sample losses as doubles, for the weighting methods. */
  public double[] lossesToArray() {
    return loss().length() == 0 ? new double[0] : loss().toDoubleVector();
  }
}
