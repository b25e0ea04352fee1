package dev.reweigh.spark;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.Sharpening.SelfReward;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;

/**
 * {@code sharpening-sft}: keep the best-of-N response of each question by a self-reward, weight 1,
 * with a {@code reward} column (Huang et al., arXiv:2412.01951; docs/methods.md §4). Passes: one
 * read of the input, one shuffle by question.
 */
public final class SharpeningSftWeigher extends Weigher<SharpeningSftWeigher> {

  private SelfReward reward = SelfReward.SEQUENCE_LOGPROB;

  SharpeningSftWeigher() {}

  /**
   * @param r the self-reward (default SEQUENCE_LOGPROB)
   * @return this
   */
  public SharpeningSftWeigher reward(SelfReward r) {
    this.reward = Params.present(r, "reward");
    return this;
  }

  @Override
  Set<Field> required() {
    return Responses.sharpeningFields(
        reward, Field.QUESTION_ID, Field.LOG_PROB_SUM, Field.TOKEN_COUNT);
  }

  @Override
  StructField[] outputs() {
    return new SharpeningSftRule(reward, "").fields();
  }

  @Override
  Weighed run(Dataset<Row> in, RowFields fields) {
    return new Weighed(
        finish(byQuestion(in, fields, new SharpeningSftRule(reward, columns().tokenCount()))),
        List.of(), "1 read of the input, 1 shuffle by question_id" + sortPass());
  }
}
