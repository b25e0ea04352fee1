package dev.reweigh.spark;

import dev.reweigh.weighting.LossReweighting;
import dev.reweigh.weighting.LossReweighting.Strategy;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * {@code loss-reweighting}: w_i = softmax_i(f(h_i) / r) over the whole input or over each batch
 * of B consecutive rows (Sow et al., arXiv:2502.06733; docs/methods.md §5); every row kept. h and
 * f come from core's {@code LossReweighting.normalizedLoss} and {@code Strategy.f}.
 *
 * <p>Passes: B = 0, three reads of the input (lmin and lmax; the normaliser; the output), order
 * kept without a sort. B &gt; 0, one read to number the rows and one read with a shuffle by batch.
 */
public final class LossReweightingWeigher extends LossSoftmaxWeigher<LossReweightingWeigher> {

  private Strategy strategy = Strategy.LIN_UPPER;

  LossReweightingWeigher() {}

  /**
   * @param s the strategy (default LIN_UPPER); the temperature defaults to its official one
   * @return this
   */
  public LossReweightingWeigher strategy(Strategy s) {
    this.strategy = Params.present(s, "strategy");
    return this;
  }

  @Override
  double defaultTemperature() {
    return strategy.defaultTemperature();
  }

  @Override
  BatchRule batchRule(double r) {
    return new BatchRule(strategy, r);
  }

  @Override
  Softmax.Score score(Dataset<Row> in, RowFields fields) {
    double[] range = Softmax.range(in, fields);
    double lmin = range[0];
    double lmax = range[1];
    Strategy s = strategy;
    return l -> s.f(LossReweighting.normalizedLoss(l, lmin, lmax));
  }

  @Override
  String wholeInputPasses() {
    return "3 reads of the input (range, normaliser, output)";
  }
}
