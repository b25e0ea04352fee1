package dev.reweigh.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code reweigh} command. Subcommands: {@code weigh} (offline curation of JSONL candidates).
 * Other modules add theirs (e.g. {@code demo}) to {@link #commandLine()}:
 *
 * <pre>{@code
 * CommandLine cl = ReweighCli.commandLine();
 * cl.addSubcommand("demo", new DemoCommand());
 * System.exit(cl.execute(args));
 * }</pre>
 *
 * <p>Exit codes: 0 success, 1 invalid input data (message names file and line), 2 usage error.
 */
@Command(
    name = "reweigh",
    mixinStandardHelpOptions = true,
    versionProvider = ReweighCli.Version.class,
    description = "Per-sample weighting for LLM self-improvement and weighted fine-tuning.",
    subcommands = {WeighCommand.class, CommandLine.HelpCommand.class})
public final class ReweighCli implements Runnable {

  /** Exit code for malformed or invalid input data. */
  public static final int EXIT_INPUT = 1;

  @Spec CommandSpec spec;

  /** Used by picocli. */
  public ReweighCli() {}

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand");
  }

  /**
   * A fresh command line with the {@code weigh} and {@code help} subcommands registered; add more
   * with {@link CommandLine#addSubcommand(String, Object)} before {@code execute}.
   *
   * @return the command line
   */
  public static CommandLine commandLine() {
    return new CommandLine(new ReweighCli());
  }

  /**
   * Runs {@code reweigh} and exits with its code.
   *
   * @param args command-line arguments
   */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Version from the jar manifest when packaged, else "development". */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = ReweighCli.class.getPackage().getImplementationVersion();
      return new String[] {"reweigh " + (v == null ? "(development build)" : v)};
    }
  }
}
