package dev.reweigh.demo.methods;

import java.util.ArrayList;
import java.util.List;

/**
 * Upper bound: rejection-sampling self-training with the gold answers (STaR-style), keeping every
 * response whose answer is correct. Uses labels the other methods never see.
 */
public final class GoldRejection implements Method {
  @Override
  public String name() {
    return "gold-RS";
  }

  @Override
  public TrainingSet build(RoundInput in) {
    List<Selection.Pick> picks = new ArrayList<>();
    for (int q = 0; q < in.pool().questions(); q++) {
      for (int i = 0; i < in.pool().n(); i++) {
        if (in.pool().correct(q, i)) {
          picks.add(new Selection.Pick(q, i));
        }
      }
    }
    return Selection.set(in.pool(), picks, null);
  }
}
