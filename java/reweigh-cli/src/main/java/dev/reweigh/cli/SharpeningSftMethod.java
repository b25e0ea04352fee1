package dev.reweigh.cli;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.Sharpening.SelfReward;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code sharpening-sft}: SFT-Sharpening, keep the best-of-N response of each question by a
 * self-reward, weight 1 (Huang et al., arXiv:2412.01951, Section 3.1, Eq. 2). One pass.
 */
final class SharpeningSftMethod extends WeighMethod {

  private final SelfReward reward;

  SharpeningSftMethod(SelfReward reward) {
    this.reward = reward;
    parameters.put("reward", reward.name().toLowerCase(Locale.ROOT).replace('_', '-'));
  }

  @Override
  Set<Field> required() {
    return Responses.sharpeningFields(
        reward, Field.QUESTION_ID, Field.LOG_PROB_SUM, Field.TOKEN_COUNT);
  }

  @Override
  Decision[] decide(List<Candidate> q) {
    Responses.BestOfN b = Responses.bestOfN(q, reward, "token_count", InputException::new);
    Decision[] d = new Decision[q.size()];
    for (int i = 0; i < d.length; i++) {
      Map<String, Object> extra = new HashMap<>();
      extra.put("reward", b.rewards()[i]);
      d[i] = new Decision(i == b.best() ? 1.0 : 0.0, i == b.best(), extra);
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
