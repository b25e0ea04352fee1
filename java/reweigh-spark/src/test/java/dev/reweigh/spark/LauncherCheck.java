package dev.reweigh.spark;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark half of java/reweigh-spark/launcher-check.sh, which runs {@code ./reweigh weigh
 * --engine spark} end to end: {@code parquet IN.jsonl OUT.parquet} writes a JSONL file as one
 * Parquet file in line order; {@code compare STREAMING.jsonl SPARK_OUT jsonl|parquet} checks that
 * the Spark engine's output directory equals the streaming CLI's output row for row ({@link
 * Agreement}: weights to 1e-12 relative, identical keep flags; JSONL rows also in input order). A
 * difference is an AssertionError (exit 1).
 */
public final class LauncherCheck {
  private LauncherCheck() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 3 && args[0].equals("parquet")) {
      try (SparkSession spark = session()) {
        spark.read().json(args[1]).coalesce(1).write().parquet(args[2]);
      }
    } else if (args.length == 4 && args[0].equals("compare")) {
      List<JsonNode> streaming = Runs.readJsonl(Path.of(args[1]));
      List<JsonNode> spark =
          args[3].equals("parquet") ? parquetRows(args[2]) : Runs.readJsonl(Path.of(args[2]));
      List<String> order = new ArrayList<>();
      streaming.forEach(n -> order.add(n.get("response_id").asText()));
      // Spark reads a directory's Parquet files in an order of its own; JSONL parts are read in
      // name order, which is the output order.
      Agreement.byResponse(streaming, spark, args[3].equals("parquet") ? null : order);
      System.out.println("launcher-check: " + spark.size() + " rows agree (" + args[3] + ")");
    } else {
      throw new IllegalArgumentException(
          "usage: LauncherCheck parquet IN.jsonl OUT.parquet | compare STREAMING.jsonl SPARK_OUT"
              + " jsonl|parquet");
    }
  }

  /** The rows of a Parquet output directory as JSON objects, nulls written. */
  private static List<JsonNode> parquetRows(String dir) {
    try (SparkSession spark = session()) {
      spark.conf().set("spark.sql.jsonGenerator.ignoreNullFields", "false");
      List<JsonNode> rows = new ArrayList<>();
      for (String json : spark.read().parquet(dir).toJSON().collectAsList()) {
        rows.add(Runs.MAPPER.readTree(json));
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static SparkSession session() {
    return SparkSession.builder()
        .master("local[1]")
        .appName("reweigh launcher check")
        .config("spark.ui.enabled", "false")
        .config("spark.log.level", "WARN")
        .getOrCreate();
  }
}
