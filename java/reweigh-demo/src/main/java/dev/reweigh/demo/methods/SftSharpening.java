package dev.reweigh.demo.methods;

import dev.reweigh.demo.train.LossStats;
import dev.reweigh.weighting.Sharpening;
import java.util.ArrayList;
import java.util.List;

/**
 * SFT-Sharpening (Huang et al., ICLR 2025, arXiv:2412.01951): for each question, the best-of-N
 * response by the round model's own sequence log-prob log pi_base(y|x) (Eq. 2), trained with plain
 * NLL. No answer, vote or label is used.
 */
public final class SftSharpening implements Method {
  @Override
  public String name() {
    return "SFT-Sharp";
  }

  @Override
  public TrainingSet build(RoundInput in) {
    SampledPool pool = in.pool();
    List<Selection.Pick> all = new ArrayList<>(pool.size());
    for (int q = 0; q < pool.questions(); q++) {
      for (int i = 0; i < pool.n(); i++) {
        all.add(new Selection.Pick(q, i));
      }
    }
    LossStats st = in.scoreResponses(Selection.examples(pool, all));
    List<Selection.Pick> picks = new ArrayList<>();
    for (int q = 0; q < pool.questions(); q++) {
      double[] rewards = new double[pool.n()];
      for (int i = 0; i < pool.n(); i++) {
        rewards[i] = st.logProbSum()[q * pool.n() + i];
      }
      picks.add(new Selection.Pick(q, Sharpening.bestOfN(Sharpening.sequenceLogProbRewards(rewards))));
    }
    return Selection.set(pool, picks, null);
  }
}
