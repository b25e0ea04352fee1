package dev.reweigh.spark;

import dev.reweigh.weighting.LossReweighting;
import dev.reweigh.weighting.LossReweighting.Strategy;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;

/**
 * {@code loss-reweighting}: w_i = softmax_i(f(h_i) / r) over the whole input or over each batch
 * of B consecutive rows (Sow et al., arXiv:2502.06733; docs/methods.md §5); every row kept. h and
 * f come from core's {@code LossReweighting.normalizedLoss} and {@code Strategy.f}.
 *
 * <p>Passes: B = 0, three reads of the input (lmin and lmax; the normaliser; the output), order
 * kept without a sort. B &gt; 0, one read to number the rows and one read with a shuffle by batch.
 */
public final class LossReweightingWeigher extends Weigher<LossReweightingWeigher> {

  private Strategy strategy = Strategy.LIN_UPPER;
  private Double temperature;
  private int batchSize;

  LossReweightingWeigher() {}

  /**
   * @param s the strategy (default LIN_UPPER)
   * @return this
   */
  public LossReweightingWeigher strategy(Strategy s) {
    if (s == null) {
      throw new IllegalArgumentException("strategy is null");
    }
    this.strategy = s;
    return this;
  }

  /**
   * @param r the temperature, finite and {@code > 0} (default: the strategy's official one)
   * @return this
   */
  public LossReweightingWeigher temperature(double r) {
    this.temperature = Params.positive(r, "temperature");
    return this;
  }

  /**
   * @param b rows per batch; 0 (default) = the whole input
   * @return this
   */
  public LossReweightingWeigher batchSize(int b) {
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
    double r = temperature == null ? strategy.defaultTemperature() : temperature;
    Strategy s = strategy;
    if (batchSize > 0) {
      return new Weighed(
          finish(byBatch(in, fields, new BatchRule(s, r), batchSize)), List.of(),
          "2 reads of the input (row numbering; then a shuffle by batch)" + sortPass());
    }
    double[] range = Softmax.range(in, fields);
    double lmin = range[0];
    double lmax = range[1];
    Softmax.Score f = l -> s.f(LossReweighting.normalizedLoss(l, lmin, lmax));
    LogSumExp z = Softmax.normaliser(in, fields, f, r);
    return new Weighed(
        Softmax.weigh(in, fields, f, z), List.of(),
        "3 reads of the input (range, normaliser, output)");
  }
}
