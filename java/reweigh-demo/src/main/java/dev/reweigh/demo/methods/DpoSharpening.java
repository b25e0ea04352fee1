package dev.reweigh.demo.methods;

import dev.reweigh.demo.train.Pair;
import dev.reweigh.demo.train.Preference;
import dev.reweigh.weighting.Sharpening;
import java.util.ArrayList;
import java.util.List;

/**
 * DPO-Sharpening (Huang et al., ICLR 2025, arXiv:2412.01951): per question the pair (best, worst)
 * of the n responses by the self-reward r = log pi_base(y|x), with pi_base the sampling model as
 * reference. Trained with the bounded squared loss of Eq. 8 (optimum pi_base^(1 + 1/beta)) or,
 * as an option, sigmoid DPO on the same pairs. Questions whose best and worst responses are the
 * same text are skipped.
 */
public final class DpoSharpening implements DemoMethod {
  private final Preference preference;

  public DpoSharpening(Preference preference) {
    this.preference = preference;
  }

  public Preference preference() {
    return preference;
  }

  @Override
  public String name() {
    return "DPO-Sharp";
  }

  @Override
  public Selected select(RoundInput in) {
    SampledPool pool = in.pool();
    List<Pair> pairs = new ArrayList<>();
    List<Boolean> ok = new ArrayList<>();
    List<Boolean> chain = new ArrayList<>();
    for (int q = 0; q < pool.questions(); q++) {
      double[] r = SftSharpening.rewards(in, q, false);
      int best = Sharpening.bestOfN(r);
      int worst = Sharpening.worstOfN(r);
      if (pool.response(q, best).equals(pool.response(q, worst))) {
        continue;
      }
      pairs.add(new Pair(pool.question(q).prompt(), pool.response(q, best), pool.response(q, worst),
          r[best], r[worst], r[best], r[worst]));
      ok.add(pool.correct(q, best));
      chain.add(pool.chainRight(q, best));
    }
    return new Selected(List.of(), pairs, Picks.bools(ok), Picks.bools(chain), pool.size());
  }
}
