package dev.reweigh.demo.methods;

import dev.reweigh.weighting.East;
import java.util.ArrayList;
import java.util.List;

/**
 * EAST (arXiv:2503.23913): every kept response of a question weighted by f(h) = h^a / mean_j h_j^a,
 * h the entropy of the question's answer clusters over all n responses, unparsable responses
 * counted as one more cluster of their own; the mean runs over the questions that keep a
 * response. Two targets: as in the paper, the responses with the gold answer (its comparison is
 * entropy weights against uniform weights on that same data, i.e. gold-RS); and label-free, the
 * majority-kept responses.
 */
public final class EastWeighting implements DemoMethod {
  private final double a;
  private final boolean gold;

  public EastWeighting(double a, boolean gold) {
    this.a = a;
    this.gold = gold;
  }

  @Override
  public String name() {
    return gold ? "EAST-gold" : "EAST-maj";
  }

  /** h(x) over all n responses, the unparsable ones forming one cluster. */
  static double entropy(SampledPool pool, int q) {
    int[] counts = pool.vote(q).clusterCounts();
    int unparsable = 0;
    for (String ans : pool.answers(q)) {
      if (ans == null) {
        unparsable++;
      }
    }
    int[] all = java.util.Arrays.copyOf(counts, counts.length + 1);
    all[counts.length] = unparsable;
    return East.entropy(all);
  }

  @Override
  public Selected select(RoundInput in) {
    SampledPool pool = in.pool();
    List<Picks.Pick> all = gold ? Picks.gold(pool) : Picks.majority(pool);
    List<Integer> questions = new ArrayList<>();
    List<Double> h = new ArrayList<>();
    int[] slot = new int[pool.questions()];
    java.util.Arrays.fill(slot, -1);
    for (Picks.Pick p : all) {
      if (slot[p.q()] < 0) {
        double hq = entropy(pool, p.q());
        if (hq == 0 && a < 0) {
          continue; // undefined for a < 0 (docs/methods.md §3): the question is dropped
        }
        slot[p.q()] = questions.size();
        questions.add(p.q());
        h.add(hq);
      }
    }
    if (questions.isEmpty()) {
      return Picks.set(pool, List.of(), null);
    }
    double[] f = East.weights(h.stream().mapToDouble(Double::doubleValue).toArray(), a);
    List<Picks.Pick> picks = new ArrayList<>();
    List<Double> w = new ArrayList<>();
    for (Picks.Pick p : all) {
      if (slot[p.q()] >= 0) {
        picks.add(p);
        w.add(f[slot[p.q()]]);
      }
    }
    return Picks.set(pool, picks, w.stream().mapToDouble(Double::doubleValue).toArray());
  }
}
