package dev.reweigh.demo.methods;

import dev.reweigh.demo.train.Example;
import java.util.ArrayList;
import java.util.List;

/** Helpers shared by the methods: which responses a vote or the gold answer keeps, and packing. */
final class Picks {
  private Picks() {}

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

  /** Every response whose answer equals the gold answer (rejection sampling). */
  static List<Pick> gold(SampledPool pool) {
    List<Pick> out = new ArrayList<>();
    for (int q = 0; q < pool.questions(); q++) {
      for (int i = 0; i < pool.n(); i++) {
        if (pool.correct(q, i)) {
          out.add(new Pick(q, i));
        }
      }
    }
    return out;
  }

  /** The picks with the given weights (null = all 1); weight-0 picks are left out. */
  static Selected set(SampledPool pool, List<Pick> picks, double[] weights) {
    List<Example> ex = new ArrayList<>(picks.size());
    List<Boolean> ok = new ArrayList<>();
    List<Boolean> chain = new ArrayList<>();
    for (int k = 0; k < picks.size(); k++) {
      double w = weights == null ? 1.0 : weights[k];
      if (w == 0) {
        continue;
      }
      Pick p = picks.get(k);
      ex.add(new Example(pool.question(p.q()).prompt(), pool.response(p.q(), p.i()), w));
      ok.add(pool.correct(p.q(), p.i()));
      chain.add(pool.chainRight(p.q(), p.i()));
    }
    return new Selected(ex, List.of(), bools(ok), bools(chain), pool.size());
  }

  static boolean[] bools(List<Boolean> b) {
    boolean[] out = new boolean[b.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.get(i);
    }
    return out;
  }
}
