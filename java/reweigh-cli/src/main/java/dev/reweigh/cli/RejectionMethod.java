package dev.reweigh.cli;

import dev.reweigh.weighting.SelfConsistency;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code rejection}: rejection-sampling self-training, keep the responses whose answer equals the
 * gold answer, weight 1 (docs/methods.md §3, "with gold answers").
 */
final class RejectionMethod extends WeighMethod {

  @Override
  Set<Field> required() {
    return EnumSet.of(Field.QUESTION_ID, Field.GOLD_ANSWER);
  }

  @Override
  Decision[] decide(List<Candidate> q) {
    String gold = gold(q);
    Decision[] d = new Decision[q.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = Decision.mask(SelfConsistency.matches(q.get(i).answer(), gold));
    }
    return d;
  }

  @Override
  String streaming() {
    return "one pass; memory: one question at a time";
  }
}
