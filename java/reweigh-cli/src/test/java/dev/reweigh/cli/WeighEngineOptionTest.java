package dev.reweigh.cli;

import static dev.reweigh.cli.CliRunner.resource;
import static dev.reweigh.cli.CliRunner.run;

import org.junit.jupiter.api.Test;

/**
 * {@code --engine}, {@code --format} and {@code --master} without module reweigh-spark on the
 * classpath: usage errors (exit 2) that say what is missing.
 */
class WeighEngineOptionTest {

  @Test
  void sparkEngineWithoutTheModuleIsAUsageError() {
    run("weigh", "--engine", "spark", "-m", "lmsi", "-i", resource("losses.jsonl"), "-o", "out")
        .assertExit(2)
        .assertErrContains("--engine spark is not on the classpath", "java/reweigh-spark/README.md");
  }

  @Test
  void unknownEngineIsAUsageError() {
    run("weigh", "--engine", "flink", "-m", "lmsi", "-i", resource("losses.jsonl"))
        .assertExit(2)
        .assertErrContains("--engine flink is not on the classpath", "'streaming'");
  }

  @Test
  void sparkOptionsNeedTheSparkEngine() {
    run("weigh", "--format", "parquet", "-m", "lmsi", "-i", resource("losses.jsonl"))
        .assertExit(2)
        .assertErrContains("--format and --master need --engine spark");
    run("weigh", "--master", "local[2]", "-m", "lmsi", "-i", resource("losses.jsonl"))
        .assertExit(2)
        .assertErrContains("--format and --master need --engine spark");
  }
}
