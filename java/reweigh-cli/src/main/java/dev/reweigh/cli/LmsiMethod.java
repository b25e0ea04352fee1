package dev.reweigh.cli;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.SelfConsistency;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** {@code lmsi}: keep the majority-answer responses, weight 1 (docs/methods.md §1). */
final class LmsiMethod extends WeighMethod {

  @Override
  Set<Field> required() {
    return EnumSet.of(Field.QUESTION_ID);
  }

  @Override
  Decision[] decide(List<Candidate> q) {
    boolean[] keep = SelfConsistency.lmsiKeep(Responses.answers(q));
    Decision[] d = new Decision[q.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = Decision.mask(keep[i]);
    }
    return d;
  }

  @Override
  String streaming() {
    return "one pass; memory: one question at a time";
  }
}
