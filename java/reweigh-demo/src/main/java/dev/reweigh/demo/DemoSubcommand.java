package dev.reweigh.demo;

import dev.reweigh.cli.SubcommandProvider;

/**
 * Registers {@link DemoCommand} as {@code reweigh demo} (found by the CLI through {@code
 * META-INF/services/dev.reweigh.cli.SubcommandProvider} when this module is on the classpath).
 */
public final class DemoSubcommand implements SubcommandProvider {

  /** Used by {@link java.util.ServiceLoader}. */
  public DemoSubcommand() {}

  @Override
  public String name() {
    return "demo";
  }

  @Override
  public Object newCommand() {
    return new DemoCommand();
  }
}
