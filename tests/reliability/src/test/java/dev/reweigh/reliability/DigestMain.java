package dev.reweigh.reliability;

import dev.reweigh.Capabilities;

/**
 * Prints the output digest of {@link DeterminismTest#PROBLEM} computed with the thread count given
 * as the first argument: run in a separate JVM by DeterminismTest to compare across processes.
 */
public final class DigestMain {
  private DigestMain() {}

  public static void main(String[] args) {
    Capabilities.setThreads(Integer.parseInt(args[0]));
    Problems p = DeterminismTest.problem();
    System.out.println("digest=" + new Outputs(p).digest());
  }
}
