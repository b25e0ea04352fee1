package dev.reweigh.spark;

import org.apache.spark.util.AccumulatorV2;

/**
 * Counts and weight range of the written rows, for the CLI summary, gathered while the output is
 * written (no extra pass): {@code {rows, kept, weight sum, weight min, weight max}}.
 */
final class WeightStats extends AccumulatorV2<double[], double[]> {
  private static final long serialVersionUID = 1L;

  private long rows;
  private long kept;
  private double sum;
  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;

  /** Adds one row: {@code {weight, keep ? 1 : 0}}. */
  @Override
  public void add(double[] row) {
    rows++;
    kept += row[1] != 0 ? 1 : 0;
    sum += row[0];
    min = Math.min(min, row[0]);
    max = Math.max(max, row[0]);
  }

  @Override
  public boolean isZero() {
    return rows == 0;
  }

  @Override
  public WeightStats copy() {
    WeightStats c = new WeightStats();
    c.rows = rows;
    c.kept = kept;
    c.sum = sum;
    c.min = min;
    c.max = max;
    return c;
  }

  @Override
  public void reset() {
    rows = 0;
    kept = 0;
    sum = 0;
    min = Double.POSITIVE_INFINITY;
    max = Double.NEGATIVE_INFINITY;
  }

  @Override
  public void merge(AccumulatorV2<double[], double[]> other) {
    WeightStats o = (WeightStats) other;
    rows += o.rows;
    kept += o.kept;
    sum += o.sum;
    min = Math.min(min, o.min);
    max = Math.max(max, o.max);
  }

  @Override
  public double[] value() {
    return new double[] {rows, kept, sum, min, max};
  }
}
