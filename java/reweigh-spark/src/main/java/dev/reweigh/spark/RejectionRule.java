package dev.reweigh.spark;

import dev.reweigh.weighting.SelfConsistency;
import java.util.List;

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
  public Object[][] decide(List<Candidate> q) {
    String gold = UnitRule.gold(q, goldColumn);
    return UnitRule.rows(
        q.size(), i -> Outputs.mask(SelfConsistency.matches(q.get(i).answer(), gold)));
  }
}
