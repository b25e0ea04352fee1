package dev.reweigh.demo.methods;

/** One self-improvement method: turns a round's sampled pool into a weighted training set. */
public interface Method {
  /** The name in tables and report.json. */
  String name();

  /** The training set, or null for a method that does not train (the base model). */
  TrainingSet build(RoundInput in);

  /** Whether {@link #build} pairs samples for DPO. */
  default boolean dpo() {
    return false;
  }
}
