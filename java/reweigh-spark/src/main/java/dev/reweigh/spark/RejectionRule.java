package dev.reweigh.spark;

import dev.reweigh.weighting.SelfConsistency;
import java.util.List;

/**
 * rejection: keep the responses whose answer equals the question's gold answer, weight 1
 * (docs/methods.md §3, "with gold answers").
 */
record RejectionRule(String goldColumn) implements UnitRule {

  @Override
  public Object[][] decide(List<Candidate> q) {
    String gold = UnitRule.gold(q, goldColumn);
    return UnitRule.rows(
        q.size(), i -> Outputs.mask(SelfConsistency.matches(q.get(i).answer(), gold)));
  }
}
