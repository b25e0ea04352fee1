package dev.reweigh.spark;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.Sharpening.SelfReward;
import java.util.List;
import org.apache.spark.sql.types.StructField;

/**
 * sharpening-sft: keep the best-of-N response of each question by a self-reward, weight 1 (Huang
 * et al., arXiv:2412.01951, Section 3.1, Eq. 2; docs/methods.md §4).
 */
record SharpeningSftRule(SelfReward reward, String tokenCountColumn) implements UnitRule {

  @Override
  public StructField[] fields() {
    return new StructField[] {Outputs.WEIGHT, Outputs.KEEP, Outputs.REWARD};
  }

  @Override
  public Object[][] decide(List<Candidate> q) {
    Responses.BestOfN b =
        Responses.bestOfN(
            q, reward, "column \"" + tokenCountColumn + "\"", WeighInputException::new);
    return UnitRule.rows(
        q.size(), i -> new Object[] {i == b.best() ? 1.0 : 0.0, i == b.best(), b.rewards()[i]});
  }
}
