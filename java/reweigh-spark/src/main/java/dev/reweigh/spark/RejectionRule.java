package dev.reweigh.spark;

import dev.reweigh.weighting.SelfConsistency;
import java.util.List;
import org.apache.spark.sql.types.StructField;

/**
 * rejection: keep the responses whose answer equals the question's gold answer, weight 1
 * (docs/methods.md §3, "with gold answers").
 */
final class RejectionRule implements UnitRule {
  private static final long serialVersionUID = 1L;

  private final String goldColumn;

  RejectionRule(String goldColumn) {
    this.goldColumn = goldColumn;
  }

  @Override
  public StructField[] fields() {
    return new StructField[] {Outputs.WEIGHT, Outputs.KEEP};
  }

  @Override
  public Object[][] decide(List<Candidate> q) {
    String gold = Answers.gold(q, goldColumn);
    Object[][] d = new Object[q.size()][];
    for (int i = 0; i < d.length; i++) {
      d[i] = Outputs.mask(SelfConsistency.matches(q.get(i).answer(), gold));
    }
    return d;
  }
}
