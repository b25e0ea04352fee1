package dev.reweigh.demo.methods;

import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.LossStats;
import dev.reweigh.weighting.Sharpening;
import java.util.ArrayList;
import java.util.List;

/**
 * DPO-Sharpening (Huang et al., ICLR 2025, arXiv:2412.01951, sigmoid-DPO variant): per question,
 * chosen = best and rejected = worst of the N responses by the self-reward log pi_base(y|x);
 * trained with sigmoid DPO against pi_base (the round's model) as reference. Questions whose best
 * and worst responses are the same text are skipped. Weights in the report: +1 chosen, -1
 * rejected.
 */
public final class DpoSharpening implements Method {
  @Override
  public String name() {
    return "DPO-Sharp";
  }

  @Override
  public boolean dpo() {
    return true;
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
    List<Example> ex = new ArrayList<>();
    List<Boolean> correct = new ArrayList<>();
    for (int q = 0; q < pool.questions(); q++) {
      double[] r = new double[pool.n()];
      for (int i = 0; i < pool.n(); i++) {
        r[i] = st.logProbSum()[q * pool.n() + i];
      }
      int best = Sharpening.bestOfN(r);
      int worst = Sharpening.worstOfN(r);
      if (pool.response(q, best).equals(pool.response(q, worst))) {
        continue;
      }
      String prompt = pool.question(q).prompt();
      ex.add(new Example(prompt, pool.response(q, best), 1.0, r[best]));
      ex.add(new Example(prompt, pool.response(q, worst), -1.0, r[worst]));
      correct.add(pool.correct(q, best));
      correct.add(pool.correct(q, worst));
    }
    boolean[] c = new boolean[correct.size()];
    for (int i = 0; i < c.length; i++) {
      c[i] = correct.get(i);
    }
    return new TrainingSet(ex, c, true, pool.size());
  }
}
