package dev.reweigh.spark;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.East;
import dev.reweigh.weighting.SelfConsistency;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * east, first stage: per question, which responses are trained on (gold-correct or majority) and
 * the answer-cluster entropy h(x) (arXiv:2503.23913; docs/methods.md §3), null for a question
 * with nothing to train on; the weight f(h) = h^a / mean h^a needs the mean over every trained
 * question ({@link EastNormaliser}). The first row of each question carries the question's
 * entropy for that mean.
 */
record EastStageRule(EastTarget target, String goldColumn) implements UnitRule {

  static final StructField TRAINED = Outputs.hidden("trained", DataTypes.BooleanType);
  static final StructField H = Outputs.hidden("h", DataTypes.DoubleType);
  static final StructField FIRST = Outputs.hidden("first", DataTypes.BooleanType);

  @Override
  public StructField[] fields() {
    return new StructField[] {TRAINED, H, FIRST};
  }

  @Override
  public Object[][] decide(List<Candidate> q) {
    List<String> answers = Responses.answers(q);
    String gold = target == EastTarget.MAJORITY ? null : UnitRule.gold(q, goldColumn);
    boolean[] trained;
    if (gold == null) {
      trained = SelfConsistency.lmsiKeep(answers);
    } else {
      trained = new boolean[q.size()];
      for (int i = 0; i < trained.length; i++) {
        trained[i] = SelfConsistency.matches(answers.get(i), gold);
      }
    }
    boolean any = false;
    for (boolean t : trained) {
      any |= t;
    }
    // Entropy over the clusters of every parsable response, wrong ones included.
    Double h = any ? East.entropy(SelfConsistency.vote(answers).clusterCounts()) : null;
    boolean[] t = trained;
    return UnitRule.rows(q.size(), i -> new Object[] {t[i], h, i == 0});
  }
}
