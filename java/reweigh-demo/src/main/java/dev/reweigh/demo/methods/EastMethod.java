package dev.reweigh.demo.methods;

import dev.reweigh.weighting.East;
import java.util.ArrayList;
import java.util.List;

/**
 * EAST (arXiv:2503.23913): the majority-kept responses of each question (no gold answers), all
 * weighted by f(h) = h^a / mean_j h_j^a, h the entropy of the question's answer clusters over all
 * n responses; the mean runs over the questions in the training set. Unparsable responses do not
 * form a cluster.
 */
public final class EastMethod implements Method {
  private final double a;

  public EastMethod(double a) {
    this.a = a;
  }

  @Override
  public String name() {
    return "EAST";
  }

  @Override
  public TrainingSet build(RoundInput in) {
    SampledPool pool = in.pool();
    List<Integer> questions = new ArrayList<>();
    List<Double> entropies = new ArrayList<>();
    for (int q = 0; q < pool.questions(); q++) {
      if (!pool.vote(q).hasMajority()) {
        continue;
      }
      double h = East.entropy(pool.vote(q).clusterCounts());
      if (h == 0 && a < 0) {
        continue; // undefined for a < 0 (docs/methods.md §3): drop the question
      }
      questions.add(q);
      entropies.add(h);
    }
    double[] f = questions.isEmpty()
        ? new double[0]
        : East.weights(entropies.stream().mapToDouble(Double::doubleValue).toArray(), a);
    List<Selection.Pick> picks = new ArrayList<>();
    List<Double> w = new ArrayList<>();
    for (int k = 0; k < questions.size(); k++) {
      int q = questions.get(k);
      boolean[] keep = pool.vote(q).lmsiKeep();
      for (int i = 0; i < keep.length; i++) {
        if (keep[i]) {
          picks.add(new Selection.Pick(q, i));
          w.add(f[k]);
        }
      }
    }
    return Selection.set(pool, picks, w.stream().mapToDouble(Double::doubleValue).toArray());
  }
}
