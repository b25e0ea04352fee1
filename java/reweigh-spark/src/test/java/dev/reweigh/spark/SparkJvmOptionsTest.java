package dev.reweigh.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * spark-jvm.options, the java @argfile that ./reweigh and benchmarks/spark-weigh/run.sh pass to
 * an embedded Spark, holds the same --add-opens as the pom's spark.opens, which this test JVM
 * runs with (Spark's tests pass with them, so the launcher's list is tested too).
 */
class SparkJvmOptionsTest {

  @Test
  void argfileEqualsTheOpensTheTestsRunWith() throws Exception {
    List<String> file = Files.readAllLines(Path.of("spark-jvm.options"), StandardCharsets.UTF_8);
    TreeSet<String> fromFile = new TreeSet<>();
    for (String line : file) {
      if (!line.isBlank()) {
        fromFile.add(line.trim());
      }
    }
    TreeSet<String> running = new TreeSet<>();
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens")) {
        running.add(a);
      }
    }
    assertEquals(running, fromFile);
  }
}
