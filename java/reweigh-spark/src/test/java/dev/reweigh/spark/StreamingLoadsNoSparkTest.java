package dev.reweigh.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code reweigh weigh} without {@code --engine spark} loads no Spark or Scala class, even with
 * reweigh-spark and Spark on the classpath: a child JVM runs the streaming command with {@code
 * -verbose:class} and its class-load log is searched. The positive control loads one Spark class
 * in the same harness and must be seen.
 */
class StreamingLoadsNoSparkTest {

  @TempDir Path tmp;

  /** Names of the Spark and Scala classes the child JVM loaded. */
  private List<String> sparkClassesLoaded(boolean loadSpark) throws Exception {
    Path in = tmp.resolve("in.jsonl");
    Files.writeString(in,
        "{\"question_id\":\"q\",\"answer\":\"1\",\"loss\":1.0}\n"
            + "{\"question_id\":\"q\",\"answer\":\"2\",\"loss\":2.0}\n");
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xlog:class+load=info", "-cp", cp, StreamingMain.class.getName()));
    if (loadSpark) {
      cmd.add("--load-spark");
    }
    cmd.addAll(List.of("weigh", "-m", "iwsi", "--valid-mean-loss", "1.5", "-i", in.toString(),
        "-o", tmp.resolve("out.jsonl").toString(), "--summary", tmp.resolve("s.json").toString()));
    Path log = tmp.resolve("classes.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), () -> String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
    assertTrue(Files.size(tmp.resolve("out.jsonl")) > 0);
    assertTrue(lines.stream().anyMatch(l -> l.contains(" dev.reweigh.cli.WeighCommand ")),
        "the class-load log does not list classes" + File.separator);
    List<String> spark = new ArrayList<>();
    for (String l : lines) {
      if (l.contains("class,load") && (l.contains(" org.apache.spark.") || l.contains(" scala."))) {
        spark.add(l);
      }
    }
    return spark;
  }

  @Test
  void streamingEngineLoadsNoSpark() throws Exception {
    List<String> loaded = sparkClassesLoaded(false);
    assertTrue(loaded.isEmpty(), () -> "Spark/Scala classes loaded: " + loaded.subList(0, Math.min(5, loaded.size())));
  }

  @Test
  void harnessSeesSparkWhenLoaded() throws Exception {
    assertFalse(sparkClassesLoaded(true).isEmpty());
  }
}
