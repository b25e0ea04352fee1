package dev.reweigh.demo.methods;

import java.util.function.Function;

/**
 * One self-improvement method of the demo: turns a round's sampled and scored pool into the data
 * it adds to the seed set (weighted samples, or preference pairs).
 */
public interface DemoMethod {
  /** The name in tables and report.json. */
  String name();

  /** The data this method selects from the round's pool. */
  Selected select(RoundInput in);

  /** A method given by its name and its selection rule. */
  static DemoMethod of(String name, Function<RoundInput, Selected> rule) {
    return new DemoMethod() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Selected select(RoundInput in) {
        return rule.apply(in);
      }
    };
  }
}
