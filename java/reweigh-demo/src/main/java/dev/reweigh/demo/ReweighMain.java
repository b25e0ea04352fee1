package dev.reweigh.demo;

import dev.reweigh.cli.ReweighCli;
import picocli.CommandLine;

/**
 * The full {@code reweigh} command line: the CLI's subcommands ({@code weigh}, {@code help}) plus
 * {@code demo}, registered as {@link ReweighCli#commandLine()} documents. The {@code ./reweigh}
 * launcher runs this class.
 */
public final class ReweighMain {
  private ReweighMain() {}

  /** The command line with {@code demo} registered. */
  public static CommandLine commandLine() {
    CommandLine cl = ReweighCli.commandLine();
    cl.addSubcommand("demo", new DemoCommand());
    return cl;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
