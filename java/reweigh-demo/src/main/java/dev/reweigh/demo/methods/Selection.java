package dev.reweigh.demo.methods;

import dev.reweigh.demo.train.Example;
import java.util.ArrayList;
import java.util.List;

/** Helpers shared by the methods: which responses a majority vote keeps, and packing them up. */
final class Selection {
  private Selection() {}

  /** A kept response: question q, response i. */
  record Pick(int q, int i) {}

  /** Every response that gives its question's majority answer (LMSI, docs/methods.md §1). */
  static List<Pick> majority(SampledPool pool) {
    List<Pick> out = new ArrayList<>();
    for (int q = 0; q < pool.questions(); q++) {
      boolean[] keep = pool.vote(q).lmsiKeep();
      for (int i = 0; i < keep.length; i++) {
        if (keep[i]) {
          out.add(new Pick(q, i));
        }
      }
    }
    return out;
  }

  /** Examples (prompt, response, weight 1) for the picks. */
  static List<Example> examples(SampledPool pool, List<Pick> picks) {
    List<Example> out = new ArrayList<>(picks.size());
    for (Pick p : picks) {
      out.add(Example.of(pool.question(p.q()).prompt(), pool.response(p.q(), p.i()), 1.0));
    }
    return out;
  }

  /** A training set of the picks with the given weights (null = all 1). */
  static TrainingSet set(SampledPool pool, List<Pick> picks, double[] weights) {
    List<Example> ex = new ArrayList<>(picks.size());
    boolean[] correct = new boolean[picks.size()];
    for (int k = 0; k < picks.size(); k++) {
      Pick p = picks.get(k);
      ex.add(Example.of(pool.question(p.q()).prompt(), pool.response(p.q(), p.i()),
          weights == null ? 1.0 : weights[k]));
      correct[k] = pool.correct(p.q(), p.i());
    }
    return new TrainingSet(ex, correct, false, pool.size());
  }
}
