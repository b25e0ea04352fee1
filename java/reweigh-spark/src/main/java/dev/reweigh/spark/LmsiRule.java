package dev.reweigh.spark;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.SelfConsistency;
import java.util.List;

/** lmsi: keep the majority-answer responses, weight 1 (docs/methods.md §1). */
final class LmsiRule implements UnitRule {
  private static final long serialVersionUID = 1L;

  @Override
  public Object[][] decide(List<Candidate> q) {
    boolean[] keep = SelfConsistency.lmsiKeep(Responses.answers(q));
    return UnitRule.rows(q.size(), i -> Outputs.mask(keep[i]));
  }
}
