package dev.reweigh.spark;

import org.apache.spark.sql.SparkSession;

/** The test session: local[2], no UI, few shuffle partitions (small inputs). */
final class SparkSessions {
  private SparkSessions() {}

  static SparkSession start(String name) {
    return SparkSession.builder()
        .master("local[2]")
        .appName(name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "3")
        .config("spark.default.parallelism", "2")
        .getOrCreate();
  }
}
