package dev.reweigh.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.Capabilities;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Identical outputs, bit for bit, for 1..N kernel threads (N past the core count) and across runs:
 * repeated in this JVM and in two fresh JVMs with other thread counts (docs/design.md §3.7: results
 * do not depend on the thread count).
 */
@ExtendWith(RestoresThreads.class)
class DeterminismTest {

  /**
   * Rows that split unevenly over threads (prime), an odd vocabulary past the vector widths, and
   * above 2^18 logits: smaller batches run inline on the caller and would not test the pool.
   */
  static Problems problem() {
    return new Problems(20261122L, 257, 1031);
  }

  @Test
  void everyThreadCountGivesTheSameBits() {
    Problems p = problem();
    Capabilities.setThreads(1);
    Outputs serial = new Outputs(p);
    int max = Math.max(4, Runtime.getRuntime().availableProcessors() + 2);
    for (int threads = 1; threads <= max; threads++) {
      Capabilities.setThreads(threads);
      assertEquals(threads, Capabilities.threads());
      for (int run = 0; run < 3; run++) {
        assertNull(new Outputs(p).differenceFrom(serial), "threads=" + threads + " run=" + run);
      }
    }
  }

  @Test
  void freshProcessesGiveTheSameBits() throws Exception {
    Capabilities.setThreads(1);
    String here = new Outputs(problem()).digest();
    for (int threads : new int[] {3, 8}) {
      assertEquals(here, digestInChildJvm(threads), "a fresh JVM with " + threads + " threads");
    }
  }

  private static String digestInChildJvm(int threads) throws Exception {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("-Dorg.bytedeco.javacpp.maxPhysicalBytes=0");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(DigestMain.class.getName());
    cmd.add(Integer.toString(threads));
    Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String digest = null;
    StringBuilder all = new StringBuilder();
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        all.append(line).append('\n');
        if (line.startsWith("digest=")) {
          digest = line.substring("digest=".length());
        }
      }
    }
    assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
    assertEquals(0, proc.exitValue(), "child JVM failed:\n" + all);
    assertTrue(digest != null, "no digest from the child JVM:\n" + all);
    return digest;
  }
}
