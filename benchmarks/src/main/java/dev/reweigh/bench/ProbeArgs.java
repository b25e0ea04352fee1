package dev.reweigh.bench;

/** The command line of a probe's {@code main}: a wrong argument count prints the usage, exit 2. */
final class ProbeArgs {
  private ProbeArgs() {}

  /**
   * @param args the arguments given
   * @param count how many the probe takes
   * @param usage the probe's name and arguments, e.g. {@code "Probe ROWSxV OUT.jsonl"}
   */
  static void require(String[] args, int count, String usage) {
    if (args.length != count) {
      System.err.println("usage: " + usage);
      System.exit(2);
    }
  }
}
