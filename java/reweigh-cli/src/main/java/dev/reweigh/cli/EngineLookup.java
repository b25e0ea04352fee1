package dev.reweigh.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ServiceLoader;
import java.util.function.Function;
import picocli.CommandLine.ParameterException;

/**
 * Finds the {@link WeighEngine} that {@code --engine} names through {@link ServiceLoader}; called
 * only for an engine other than the streaming one, so the streaming command loads no engine.
 */
final class EngineLookup {

  private EngineLookup() {}

  /**
   * Runs {@code request} on the engine called {@code name}.
   *
   * @param usage turns a message into the command's usage error (exit code 2)
   * @return the engine's exit code
   */
  static int run(
      String name,
      WeighRequest request,
      PrintWriter err,
      Function<String, ParameterException> usage)
      throws IOException {
    for (WeighEngine e : ServiceLoader.load(WeighEngine.class)) {
      if (e.name().equals(name)) {
        try {
          return e.weigh(request, err);
        } catch (IllegalArgumentException x) {
          throw usage.apply(x.getMessage());
        }
      }
    }
    throw usage.apply(
        "--engine " + name + " is not on the classpath"
            + ("spark".equals(name)
                ? " (add the reweigh-spark jar and Spark, or run through spark-submit: see"
                    + " java/reweigh-spark/README.md)"
                : "")
            + "; the built-in engine is 'streaming'");
  }
}
