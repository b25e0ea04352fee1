package dev.reweigh.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * A {@link SubcommandProvider} registered only on the test classpath, to show that the CLI picks
 * up providers it does not know at compile time.
 */
public final class ProbeSubcommand implements SubcommandProvider {

  /** Exit code of {@code reweigh probe}, distinct from the CLI's own codes. */
  static final int EXIT = 42;

  /** Used by {@link java.util.ServiceLoader}. */
  public ProbeSubcommand() {}

  @Override
  public String name() {
    return "probe";
  }

  @Override
  public Object newCommand() {
    return new Probe();
  }

  @Command(name = "probe", description = "Test-only subcommand.")
  static final class Probe implements Callable<Integer> {
    @Override
    public Integer call() {
      return EXIT;
    }
  }
}
