package dev.reweigh.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reweigh.cli.WeighEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The empty-input rule of {@code reweigh weigh}, the same for both engines (docs/design.md §7.1):
 * an input that exists and holds no candidate (an empty or blank JSONL file, a Parquet file with
 * no rows, a directory with no data file) gives an empty output, exit 0, and a summary with 0
 * candidates; an input that does not exist is a usage error (exit 2).
 */
class EmptyInputTest {

  @TempDir static Path tmp;
  static SparkSession spark;
  static Path empty;
  static Path blank;
  static int run;

  static final String[] METHODS = {
    "-m lmsi",
    "-m rejection",
    "-m iwsi --valid-mean-loss 2",
    "-m iwsi-w --valid-mean-loss 2",
    "-m east",
    "-m sharpening-sft",
    "-m loss-reweighting",
    "-m loss-reweighting --batch-size 4",
    "-m kl-dro",
    "-m kl-dro --batch-size 4"
  };

  @BeforeAll
  static void start() throws Exception {
    spark = SparkSessions.get();
    empty = Files.createFile(tmp.resolve("empty.jsonl"));
    blank = Files.writeString(tmp.resolve("blank.jsonl"), "\n  \n\n");
  }

  /** Runs one engine; returns the summary after checking exit 0 and an empty output. */
  private static JsonNode weighEmpty(String engine, Path in, String args) {
    int n = run++;
    Path out = tmp.resolve("out" + n + ("spark".equals(engine) ? "" : ".jsonl"));
    Path summary = tmp.resolve("summary" + n + ".json");
    List<String> a = new ArrayList<>(List.of("weigh", "--engine", engine, "-i", in.toString(),
        "-o", out.toString(), "--summary", summary.toString()));
    a.addAll(List.of(args.split(" ")));
    Runs.reweigh(a).assertExit(0);
    assertTrue(Files.exists(out), "no output written for " + engine + " " + args);
    assertEquals(List.of(), Runs.readJsonl(out), "rows of " + engine + " " + args);
    JsonNode s = Runs.readJson(summary);
    assertEquals(0, s.get("candidates").asLong(), "candidates");
    assertEquals(0, s.get("kept").asLong(), "kept");
    assertEquals(0.0, s.get("weight_sum").asDouble(), "weight_sum");
    return s;
  }

  @Test
  void emptyJsonlGivesEmptyOutputOnBothEngines() {
    for (String m : METHODS) {
      bothEmpty(empty, m);
    }
  }

  /** Spark's JSON reader skips blank lines, as the streaming reader does. */
  @Test
  void blankJsonlGivesEmptyOutputOnBothEngines() {
    bothEmpty(blank, "-m lmsi");
    bothEmpty(blank, "-m kl-dro");
  }

  private static void bothEmpty(Path in, String m) {
    JsonNode streaming = weighEmpty("streaming", in, m);
    JsonNode spark = weighEmpty("spark", in, m);
    assertEquals(streaming.get("parameters"), spark.get("parameters"), m);
    assertEquals(streaming.get("notes"), spark.get("notes"), "notes of " + m);
    assertEquals(List.of(WeighEngine.EMPTY_INPUT_NOTE), notes(spark), "notes of " + m);
  }

  private static List<String> notes(JsonNode summary) {
    List<String> notes = new ArrayList<>();
    summary.get("notes").forEach(n -> notes.add(n.asText()));
    return notes;
  }

  /** Zero rows with a schema: the output has the schema plus weight and keep. */
  @Test
  void parquetWithNoRowsGivesEmptyParquet() throws Exception {
    Path in = tmp.resolve("no-rows.parquet");
    Dataset<Row> one = spark.read().json(
        spark.createDataset(
            List.of("{\"question_id\":\"q\",\"response_id\":\"r\",\"answer\":\"1\","
                + "\"gold_answer\":\"1\",\"loss\":1.0}"),
            Encoders.STRING()));
    one.limit(0).write().parquet(in.toString());
    for (String m : new String[] {"-m iwsi --valid-mean-loss 2", "-m kl-dro", "-m east"}) {
      Path out = tmp.resolve("pq-out" + run++);
      List<String> a = new ArrayList<>(List.of("weigh", "--engine", "spark", "-i", in.toString(),
          "-o", out.toString(), "--summary", tmp.resolve("pq.json").toString()));
      a.addAll(List.of(m.split(" ")));
      Runs.reweigh(a).assertExit(0);
      Dataset<Row> written = spark.read().parquet(out.toString());
      assertEquals(0, written.count(), m);
      assertTrue(List.of(written.columns()).containsAll(List.of("question_id", "weight", "keep")),
          List.of(written.columns()).toString());
      assertEquals(0, Runs.readJson(tmp.resolve("pq.json")).get("candidates").asLong());
    }
  }

  /** A directory without data files (an empty shard directory) is an empty input too. */
  @ParameterizedTest
  @ValueSource(strings = {"jsonl", "parquet"})
  void directoryWithoutDataFilesIsEmpty(String format) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("no-files-" + format));
    Files.createFile(dir.resolve("_SUCCESS"));
    Path out = tmp.resolve("dir-out-" + format);
    Runs.reweigh(List.of("weigh", "--engine", "spark", "--format", format, "-m", "lmsi", "-i",
            dir.toString(), "-o", out.toString(), "--summary", tmp.resolve("d.json").toString()))
        .assertExit(0);
    assertEquals(0, Runs.readJson(tmp.resolve("d.json")).get("candidates").asLong());
    assertTrue(Files.isDirectory(out));
  }

  /** Lines without any field are candidates missing their columns, not an empty input. */
  @Test
  void objectsWithoutFieldsAreBadInput() throws Exception {
    Path in = Files.writeString(tmp.resolve("braces.jsonl"), "{}\n{}\n");
    Runs.reweigh(List.of("weigh", "--engine", "spark", "-m", "lmsi", "-i", in.toString(), "-o",
            tmp.resolve("braces-out").toString()))
        .assertExit(1)
        .assertErrContains("question_id");
    Runs.reweigh(List.of("weigh", "-m", "lmsi", "-i", in.toString(), "-o",
            tmp.resolve("braces-out.jsonl").toString()))
        .assertExit(1)
        .assertErrContains("question_id");
  }

  @Test
  void missingInputIsAUsageErrorOnBothEngines() {
    String missing = tmp.resolve("missing.jsonl").toString();
    for (String engine : new String[] {"streaming", "spark"}) {
      Runs.reweigh(List.of("weigh", "--engine", engine, "-m", "lmsi", "-i", missing, "-o",
              tmp.resolve("missing-out-" + engine).toString()))
          .assertExit(2)
          .assertErrContains("--input file not found: " + missing);
    }
  }
}
