package dev.reweigh.spark;

import org.apache.spark.sql.SparkSession;

/**
 * The module's one test session: local[2], no UI, few shuffle partitions (small inputs). Test
 * classes share it (starting Spark takes most of a test class's time) and do not stop it; Spark's
 * shutdown hook stops it when the test JVM exits.
 */
final class SparkSessions {
  private SparkSessions() {}

  static SparkSession get() {
    return SparkSession.builder()
        .master("local[2]")
        .appName("reweigh-spark tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "3")
        .config("spark.default.parallelism", "2")
        .getOrCreate();
  }
}
