package dev.reweigh.cli;

import java.util.ServiceLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code reweigh} command. Subcommands: {@code weigh} (offline curation of JSONL candidates),
 * {@code help}, and one per {@link SubcommandProvider} on the classpath (reweigh-demo adds {@code
 * demo}). {@link ReweighMain} is the program's entry point.
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
   * A fresh command line with {@code weigh}, {@code help} and the subcommands of every {@link
   * SubcommandProvider} found by {@link ServiceLoader} in the thread's context class loader.
   *
   * @return the command line
   * @throws picocli.CommandLine.InitializationException when two subcommands share a name
   */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new ReweighCli());
    for (SubcommandProvider p : ServiceLoader.load(SubcommandProvider.class)) {
      cl.addSubcommand(p.name(), p.newCommand());
    }
    if (!cl.getSubcommands().containsKey("demo")) {
      cl.getCommandSpec()
          .usageMessage()
          .footer(
              "%n`reweigh demo` (self-improvement on a tiny libtorch model) is available when the"
                  + " reweigh-demo module is on the classpath: run `./reweigh demo`.");
    }
    return cl;
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
