package dev.reweigh.demo.methods;

/**
 * One self-improvement method of the demo: turns a round's sampled and scored pool into the data
 * it adds to the seed set (weighted samples, or preference pairs).
 */
public interface DemoMethod {
  /** The name in tables and report.json. */
  String name();

  /** The data this method selects from the round's pool. */
  Selected select(RoundInput in);
}
