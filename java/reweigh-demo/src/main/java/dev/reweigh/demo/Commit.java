package dev.reweigh.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** The git commit the working directory is at, for the record of a tuning run. */
final class Commit {
  private Commit() {}

  /**
   * "sha", or "sha+dirty" when the code that runs (the demo's main sources and pom) differs from
   * it, or "unknown" outside git.
   */
  static String describe() {
    String sha = git("rev-parse", "HEAD");
    if (sha.isEmpty()) {
      return "unknown";
    }
    return git("status", "--porcelain", "--", "java/reweigh-demo/src/main", "java/reweigh-demo/pom.xml").isEmpty() ? sha : sha + "+dirty";
  }

  private static String git(String... args) {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "git";
    System.arraycopy(args, 0, cmd, 1, args.length);
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
