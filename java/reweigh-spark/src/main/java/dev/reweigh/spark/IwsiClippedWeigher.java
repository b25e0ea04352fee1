package dev.reweigh.spark;

import dev.reweigh.weighting.Iwsi;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;

/**
 * {@code iwsi-w}: majority filter, weight min(Lv / L_i, C) (Jiang et al., arXiv:2408.09849, Eq. 7;
 * docs/methods.md §2). Passes: one read of the input, one shuffle by question.
 */
public final class IwsiClippedWeigher extends MajorityLossWeigher<IwsiClippedWeigher> {

  private double clip = Iwsi.DEFAULT_CLIP;

  IwsiClippedWeigher(double validMeanLoss) {
    super(validMeanLoss);
  }

  /**
   * @param c the clip C, finite and {@code > 0} (default 2)
   * @return this
   */
  public IwsiClippedWeigher clip(double c) {
    this.clip = Params.positive(c, "clip");
    return this;
  }

  @Override
  StructField[] outputs() {
    return new IwsiClippedRule(1, 1).fields();
  }

  @Override
  Weighed run(Dataset<Row> in, RowFields fields) {
    return new Weighed(
        finish(byQuestion(in, fields, new IwsiClippedRule(validMeanLoss, clip))), List.of(),
        "1 read of the input, 1 shuffle by question_id" + sortPass());
  }
}
