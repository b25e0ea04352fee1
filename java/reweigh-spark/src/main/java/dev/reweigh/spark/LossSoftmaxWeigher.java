package dev.reweigh.spark;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;

/**
 * The shape of {@code kl-dro} and {@code loss-reweighting}: softmax weights of a per-row score of
 * the loss, over the whole input or over each batch of B consecutive rows (docs/methods.md §5,
 * §6); every row kept. With B &gt; 0: one read to number the rows and one read with a shuffle by
 * batch ({@link BatchRule}). With B = 0: the subclass's passes for its score, one read for the
 * normaliser (merged across partitions by {@code LogSumExp}) and the output read, order kept
 * without a sort.
 *
 * @param <W> the concrete weigher, for chained setters
 */
abstract class LossSoftmaxWeigher<W extends LossSoftmaxWeigher<W>> extends Weigher<W> {

  private Double temperature;
  private int batchSize;

  LossSoftmaxWeigher() {}

  /**
   * @param r the temperature, finite and {@code > 0} (default: the method's, see the class)
   * @return this
   */
  public W temperature(double r) {
    this.temperature = Params.positive(r, "temperature");
    return self();
  }

  /**
   * @param b rows per batch; 0 (default) = the whole input
   * @return this
   */
  public W batchSize(int b) {
    this.batchSize = Params.batchSize(b);
    return self();
  }

  /** The temperature when none is set. */
  abstract double defaultTemperature();

  /** The rule that weighs one batch at temperature {@code r}. */
  abstract BatchRule batchRule(double r);

  /** The whole-input score of a loss; may run passes over {@code in} first (e.g. its range). */
  abstract Softmax.Score score(Dataset<Row> in, RowFields fields);

  /** The passes of the whole-input mode, for {@link Weighed#passes()}. */
  abstract String wholeInputPasses();

  @Override
  final Set<Field> required() {
    return EnumSet.of(Field.LOSS);
  }

  @Override
  final StructField[] outputs() {
    return new StructField[] {Outputs.WEIGHT, Outputs.KEEP};
  }

  @Override
  final Weighed run(Dataset<Row> in, RowFields fields) {
    double r = temperature == null ? defaultTemperature() : temperature;
    if (batchSize > 0) {
      return new Weighed(
          finish(byBatch(in, fields, batchRule(r), batchSize)), List.of(),
          "2 reads of the input (row numbering; then a shuffle by batch)" + sortPass());
    }
    Softmax.Score f = score(in, fields);
    return new Weighed(
        Softmax.weigh(in, fields, f, Softmax.normaliser(in, fields, f, r)), List.of(),
        wholeInputPasses());
  }
}
