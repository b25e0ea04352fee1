package dev.reweigh.cli;

/**
 * The {@code reweigh} program: {@link ReweighCli} with every {@link SubcommandProvider} on the
 * classpath. The {@code ./reweigh} launcher runs this class, with reweigh-core and reweigh-cli on
 * the classpath for {@code weigh}, plus reweigh-demo and its dependencies for {@code demo}.
 */
public final class ReweighMain {
  private ReweighMain() {}

  /**
   * Runs {@code reweigh} and exits with its code (0 success, 1 invalid input, 2 usage error).
   *
   * @param args command-line arguments
   */
  public static void main(String[] args) {
    System.exit(ReweighCli.commandLine().execute(args));
  }
}
