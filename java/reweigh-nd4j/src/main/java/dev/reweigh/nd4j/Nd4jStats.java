package dev.reweigh.nd4j;

import dev.reweigh.NativeStats;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-sample statistics as ND4J arrays, written by the kernels straight into their buffers:
 * {@code loss}, {@code logProbSum}, {@code meanEntropy} FLOAT {@code [samples]}, {@code
 * tokenCount} LONG {@code [samples]}, per row {@code rowLse}, {@code rowLogp}, {@code rowEntropy}
 * FLOAT {@code [rows]} (0 on ignored rows).
 */
public final class Nd4jStats {
  private final INDArray loss;
  private final INDArray logProbSum;
  private final INDArray tokenCount;
  private final INDArray meanEntropy;
  private final INDArray rowLse;
  private final INDArray rowLogp;
  private final INDArray rowEntropy;

  private Nd4jStats(long samples, long rows) {
    this.loss = Nd4j.create(DataType.FLOAT, samples);
    this.logProbSum = Nd4j.create(DataType.FLOAT, samples);
    this.tokenCount = Nd4j.create(DataType.INT64, samples);
    this.meanEntropy = Nd4j.create(DataType.FLOAT, samples);
    this.rowLse = Nd4j.create(DataType.FLOAT, rows);
    this.rowLogp = Nd4j.create(DataType.FLOAT, rows);
    this.rowEntropy = Nd4j.create(DataType.FLOAT, rows);
  }

  static Nd4jStats allocate(Nd4jBatch batch) {
    return new Nd4jStats(batch.samples, batch.rows);
  }

  NativeStats nativeStats() {
    return NativeStats.builder()
        .loss(Nd4jChecks.address(loss))
        .logProbSum(Nd4jChecks.address(logProbSum))
        .tokenCount(Nd4jChecks.address(tokenCount))
        .meanEntropy(Nd4jChecks.address(meanEntropy))
        .rowLse(Nd4jChecks.address(rowLse))
        .rowLogp(Nd4jChecks.address(rowLogp))
        .rowEntropy(Nd4jChecks.address(rowEntropy))
        .build();
  }

  public INDArray loss() {
    return loss;
  }

  public INDArray logProbSum() {
    return logProbSum;
  }

  public INDArray tokenCount() {
    return tokenCount;
  }

  public INDArray meanEntropy() {
    return meanEntropy;
  }

  /** Per-row log-sum-exp; the input of {@link Nd4jLoss#backward}. */
  public INDArray rowLse() {
    return rowLse;
  }

  public INDArray rowLogp() {
    return rowLogp;
  }

  public INDArray rowEntropy() {
    return rowEntropy;
  }

  /** Per-sample losses as doubles, for the weighting methods. */
  public double[] lossesToArray() {
    return loss.length() == 0 ? new double[0] : loss.toDoubleVector();
  }
}
