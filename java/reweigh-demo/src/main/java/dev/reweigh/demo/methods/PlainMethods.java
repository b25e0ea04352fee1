package dev.reweigh.demo.methods;

import java.util.List;

/** The methods that keep samples by one rule, each with weight 1. */
public final class PlainMethods {
  private PlainMethods() {}

  /**
   * The control for the recipe: selects nothing, so the model is fine-tuned from the base for the
   * same epochs over the labelled seed set alone. What a method gains over this row comes from its
   * self-generated data; what this row gains over base comes from the extra training.
   */
  public static DemoMethod seedOnly() {
    return DemoMethod.of("seed-only",
        in -> new Selected(List.of(), List.of(), new boolean[0], new boolean[0], in.pool().size()));
  }

  /**
   * LMSI (Huang et al. 2023, arXiv:2210.11610): keep every response that agrees with its
   * question's majority answer.
   */
  public static DemoMethod lmsi() {
    return DemoMethod.of("LMSI", in -> Picks.set(in.pool(), Picks.majority(in.pool()), null));
  }

  /**
   * Upper bound: rejection-sampling self-training with the gold answers (STaR-style), every
   * response whose answer is correct. It is also EAST's uniform baseline (a = 0 on the same
   * gold-filtered data, arXiv:2503.23913). Uses labels the label-free methods never see.
   */
  public static DemoMethod goldRejection() {
    return DemoMethod.of("gold-RS", in -> Picks.set(in.pool(), Picks.gold(in.pool()), null));
  }
}
