package dev.reweigh.cli;

/**
 * A subcommand that another module adds to {@code reweigh} when its jar is on the classpath.
 * {@link ReweighCli#commandLine()} finds implementations with {@link java.util.ServiceLoader}; a
 * module registers one in {@code META-INF/services/dev.reweigh.cli.SubcommandProvider}.
 *
 * <p>This keeps the CLI module free of the optional modules' dependencies: {@code reweigh weigh}
 * runs on reweigh-core and reweigh-cli alone and never loads libtorch, while {@code reweigh demo}
 * exists exactly when reweigh-demo (and with it the PyTorch presets) is on the classpath.
 */
public interface SubcommandProvider {

  /**
   * The subcommand's name on the command line.
   *
   * @return e.g. {@code demo}
   */
  String name();

  /**
   * A fresh picocli command object (a class annotated with {@code @Command}) for one command line.
   *
   * @return the command object
   */
  Object newCommand();
}
