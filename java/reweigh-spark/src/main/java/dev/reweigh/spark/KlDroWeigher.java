package dev.reweigh.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * {@code kl-dro}: w_i = softmax_i(l_i / r) over the whole input or over each batch of B
 * consecutive rows (docs/methods.md §6); every row kept. The temperature r defaults to 1.
 *
 * <p>Passes: B = 0, two reads of the input (the normaliser, max-shifted and merged across
 * partitions; the output), order kept without a sort. B &gt; 0, one read to number the rows and
 * one read with a shuffle by batch.
 */
public final class KlDroWeigher extends LossSoftmaxWeigher<KlDroWeigher> {

  KlDroWeigher() {}

  @Override
  double defaultTemperature() {
    return 1.0;
  }

  @Override
  BatchRule batchRule(double r) {
    return new BatchRule(null, r);
  }

  @Override
  Softmax.Score score(Dataset<Row> in, RowFields fields) {
    return l -> l;
  }

  @Override
  String wholeInputPasses() {
    return "2 reads of the input (normaliser, output)";
  }
}
