package dev.reweigh.spark;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;

/**
 * {@code kl-dro}: w_i = softmax_i(l_i / r) over the whole input or over each batch of B
 * consecutive rows (docs/methods.md §6); every row kept.
 *
 * <p>Passes: B = 0, two reads of the input (the normaliser, max-shifted and merged across
 * partitions by {@link LogSumExp}; the output), order kept without a sort. B &gt; 0, one read to
 * number the rows and one read with a shuffle by batch.
 */
public final class KlDroWeigher extends Weigher<KlDroWeigher> {

  private double temperature = 1.0;
  private int batchSize;

  KlDroWeigher() {}

  /**
   * @param r the temperature, finite and {@code > 0} (default 1)
   * @return this
   */
  public KlDroWeigher temperature(double r) {
    this.temperature = Params.positive(r, "temperature");
    return this;
  }

  /**
   * @param b rows per batch; 0 (default) = the whole input
   * @return this
   */
  public KlDroWeigher batchSize(int b) {
    this.batchSize = Params.batchSize(b);
    return this;
  }

  @Override
  Set<Field> required() {
    return EnumSet.of(Field.LOSS);
  }

  @Override
  StructField[] outputs() {
    return new StructField[] {Outputs.WEIGHT, Outputs.KEEP};
  }

  @Override
  Weighed run(Dataset<Row> in, RowFields fields) {
    if (batchSize > 0) {
      return new Weighed(
          finish(byBatch(in, fields, new BatchRule(null, temperature), batchSize)), List.of(),
          "2 reads of the input (row numbering; then a shuffle by batch)" + sortPass());
    }
    Softmax.Score loss = l -> l;
    LogSumExp z = Softmax.normaliser(in, fields, loss, temperature);
    return new Weighed(
        Softmax.weigh(in, fields, loss, z), List.of(),
        "2 reads of the input (normaliser, output)");
  }
}
