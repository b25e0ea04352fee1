package dev.reweigh.demo.methods;

import java.util.List;

/**
 * The control for the recipe: selects nothing, so the model is fine-tuned from the base for the
 * same epochs over the labelled seed set alone. What a method gains over this row comes from its
 * self-generated data; what this row gains over base comes from the extra training.
 */
public final class SeedOnly implements DemoMethod {
  @Override
  public String name() {
    return "seed-only";
  }

  @Override
  public Selected select(RoundInput in) {
    return new Selected(List.of(), List.of(), new boolean[0], new boolean[0], in.pool().size());
  }
}
