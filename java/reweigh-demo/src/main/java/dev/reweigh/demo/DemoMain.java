package dev.reweigh.demo;

import picocli.CommandLine;

/** Runs {@link DemoCommand} alone (the launcher uses the full CLI when it is present). */
public final class DemoMain {
  private DemoMain() {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new DemoCommand()).execute(args));
  }
}
