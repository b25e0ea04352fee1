package dev.reweigh.cli;

import dev.reweigh.weighting.SelfConsistency;
import dev.reweigh.weighting.Sharpening;
import dev.reweigh.weighting.Sharpening.SelfReward;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code sharpening-sft}: SFT-Sharpening, keep the best-of-N response of each question by a
 * self-reward, weight 1 (Huang et al., arXiv:2412.01951, Section 3.1, Eq. 2). One pass.
 */
final class SharpeningSftMethod extends Method {

  private final SelfReward reward;

  SharpeningSftMethod(SelfReward reward) {
    this.reward = reward;
    parameters.put("reward", reward.name().toLowerCase(Locale.ROOT).replace('_', '-'));
  }

  @Override
  Set<Field> required() {
    switch (reward) {
      case SEQUENCE_LOGPROB:
        return EnumSet.of(Field.QUESTION_ID, Field.LOG_PROB_SUM);
      case LENGTH_NORMALIZED:
        return EnumSet.of(Field.QUESTION_ID, Field.LOG_PROB_SUM, Field.TOKEN_COUNT);
      default:
        return EnumSet.of(Field.QUESTION_ID);
    }
  }

  @Override
  Decision[] decide(List<Candidate> q) {
    double[] logProbSums = new double[q.size()];
    int[] tokenCounts = new int[q.size()];
    for (int i = 0; i < q.size(); i++) {
      Candidate c = q.get(i);
      if (reward != SelfReward.MAJORITY) {
        logProbSums[i] = c.logProbSum();
      }
      if (reward == SelfReward.LENGTH_NORMALIZED) {
        if (c.tokenCount() == 0 || c.tokenCount() > Integer.MAX_VALUE) {
          throw new InputException(
              c.where() + ": token_count = " + c.tokenCount()
                  + " cannot length-normalise (needs 1 <= |y| <= " + Integer.MAX_VALUE + ")");
        }
        tokenCounts[i] = (int) (long) c.tokenCount();
      }
    }
    List<String> answers = answers(q);
    double[] r = Sharpening.rewards(reward, logProbSums, tokenCounts, answers);
    // MAJORITY: a question with no parsable answer has no majority and is dropped
    // (docs/methods.md §1).
    int best =
        reward == SelfReward.MAJORITY && !SelfConsistency.vote(answers).hasMajority()
            ? -1
            : Sharpening.bestOfN(r);
    Decision[] d = new Decision[q.size()];
    for (int i = 0; i < d.length; i++) {
      Map<String, Object> extra = new HashMap<>();
      extra.put("reward", r[i]);
      d[i] = new Decision(i == best ? 1.0 : 0.0, i == best, extra);
    }
    return d;
  }

  @Override
  boolean usesAnswers() {
    return reward == SelfReward.MAJORITY;
  }

  @Override
  String streaming() {
    return "one pass; memory: one question at a time";
  }
}
