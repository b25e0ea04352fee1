package dev.reweigh.spark;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.KlDro;
import dev.reweigh.weighting.LossReweighting;
import java.util.List;

/**
 * loss-reweighting and kl-dro with a batch size B > 0: the softmax weights of each batch of B
 * consecutive rows (docs/methods.md §5, §6), every row kept; {@code strategy} is null for kl-dro.
 */
record BatchRule(LossReweighting.Strategy strategy, double temperature) implements UnitRule {

  @Override
  public Object[][] decide(List<Candidate> batch) {
    double[] l = Responses.losses(batch);
    double[] w =
        strategy == null
            ? KlDro.weights(l, temperature)
            : LossReweighting.weights(l, strategy, temperature);
    return UnitRule.rows(w.length, i -> new Object[] {w[i], true});
  }
}
