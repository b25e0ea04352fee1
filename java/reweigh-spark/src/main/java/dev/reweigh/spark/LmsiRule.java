package dev.reweigh.spark;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.SelfConsistency;
import java.util.List;

/** lmsi: keep the majority-answer responses, weight 1 (docs/methods.md §1). */
record LmsiRule() implements UnitRule {

  @Override
  public Object[][] decide(List<Candidate> q) {
    boolean[] keep = SelfConsistency.lmsiKeep(Responses.answers(q));
    return UnitRule.rows(q.size(), i -> Outputs.mask(keep[i]));
  }
}
