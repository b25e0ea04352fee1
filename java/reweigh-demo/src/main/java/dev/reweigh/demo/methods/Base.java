package dev.reweigh.demo.methods;

/** The base model, no self-training: the reference every method must beat. */
public final class Base implements Method {
  @Override
  public String name() {
    return "base";
  }

  @Override
  public TrainingSet build(RoundInput in) {
    return null;
  }
}
