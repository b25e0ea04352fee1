package dev.reweigh.spark;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.Iwsi;
import dev.reweigh.weighting.SelfConsistency;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * iwsi, first stage: per question, the majority flag and the DS weight wDS of Eq. 3-4 (Jiang et
 * al., arXiv:2408.09849); the keep decision needs sigma over the whole input ({@link
 * IwsiThreshold}).
 */
record IwsiStageRule(double validMeanLoss) implements UnitRule {

  static final StructField MAJORITY = Outputs.hidden("majority", DataTypes.BooleanType);
  static final StructField DS = Outputs.hidden("ds", DataTypes.DoubleType);

  @Override
  public StructField[] fields() {
    return new StructField[] {MAJORITY, DS};
  }

  @Override
  public Object[][] decide(List<Candidate> q) {
    boolean[] majority = SelfConsistency.lmsiKeep(Responses.answers(q));
    double[] wDS = Iwsi.dsWeights(Responses.losses(q), validMeanLoss);
    return UnitRule.rows(q.size(), i -> new Object[] {majority[i], wDS[i]});
  }
}
