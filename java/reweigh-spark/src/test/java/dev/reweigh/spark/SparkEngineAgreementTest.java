package dev.reweigh.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code reweigh weigh --engine spark} gives the streaming CLI's output row for row, for every
 * method, on a generated file with interleaved (non-contiguous) questions, questions without a
 * parsable answer, null, blank, missing and numeric answers, ties and zero losses. The streaming
 * CLI needs contiguous questions, so it reads the same lines grouped by question; the Spark
 * engine reads the interleaved file and must still write its rows in input order.
 */
class SparkEngineAgreementTest {

  @TempDir static Path tmp;
  static SparkSession spark;
  static Path interleaved;
  static Path grouped;
  static Path goldInterleaved;
  static Path goldGrouped;
  static List<String> goldOrder;
  static List<String> inputOrder;
  static int run;

  @BeforeAll
  static void start() throws Exception {
    spark = SparkSessions.get();
    interleaved = tmp.resolve("interleaved.jsonl");
    grouped = tmp.resolve("grouped.jsonl");
    inputOrder = write(GeneratedCandidates.generate(17, 90, false), interleaved, grouped);
    goldInterleaved = tmp.resolve("gold-interleaved.jsonl");
    goldGrouped = tmp.resolve("gold-grouped.jsonl");
    goldOrder = write(GeneratedCandidates.generate(29, 60, true), goldInterleaved, goldGrouped);
  }

  /** Writes the lines as they are and grouped; returns the response ids in input order. */
  private static List<String> write(
      List<GeneratedCandidates.Line> lines, Path interleaved, Path grouped) throws Exception {
    Files.writeString(interleaved, GeneratedCandidates.text(lines));
    Files.writeString(grouped, GeneratedCandidates.text(GeneratedCandidates.grouped(lines)));
    List<String> order = new ArrayList<>();
    for (JsonNode n : Runs.readJsonl(interleaved)) {
      order.add(n.get("response_id").asText());
    }
    return order;
  }

  /**
   * The outputs of both engines on one method.
   *
   * @param streaming the streaming CLI's rows
   * @param spark the Spark engine's rows
   * @param streamingSummary the streaming CLI's summary
   * @param sparkSummary the Spark engine's summary
   */
  private record Both(
      List<JsonNode> streaming, List<JsonNode> spark, JsonNode streamingSummary,
      JsonNode sparkSummary) {

    /** The same row for every response id, and the same notes. */
    void agreeByResponse(List<String> order, String args) {
      Agreement.byResponse(streaming, spark, order);
      assertEquals(streamingSummary.get("notes"), sparkSummary.get("notes"), "notes of " + args);
    }
  }

  /** Runs both engines, the Spark one on the interleaved file. */
  private static Both both(Path streamingInput, String args) {
    return both(streamingInput, interleaved, args);
  }

  private static Both both(Path streamingInput, Path sparkInput, String args) {
    int n = run++;
    Path so = tmp.resolve("s" + n + ".jsonl");
    Path po = tmp.resolve("p" + n);
    List<String> common = List.of(args.split(" "));
    List<String> s = new ArrayList<>(List.of("weigh", "-i", streamingInput.toString(), "-o",
        so.toString(), "--summary", tmp.resolve("s" + n + ".json").toString()));
    s.addAll(common);
    Runs.reweigh(s).assertExit(0);
    List<String> p = new ArrayList<>(List.of("weigh", "--engine", "spark", "-i",
        sparkInput.toString(), "-o", po.toString(), "--summary",
        tmp.resolve("p" + n + ".json").toString()));
    p.addAll(common);
    Runs.reweigh(p).assertExit(0);
    JsonNode ss = Runs.readJson(tmp.resolve("s" + n + ".json"));
    JsonNode ps = Runs.readJson(tmp.resolve("p" + n + ".json"));
    assertEquals(ss.get("candidates").asLong(), ps.get("candidates").asLong(), "candidates");
    assertEquals(ss.get("kept").asLong(), ps.get("kept").asLong(), "kept");
    assertEquals(ss.get("parameters"), ps.get("parameters"), "parameters");
    return new Both(Runs.readJsonl(so), Runs.readJsonl(po), ss, ps);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "-m lmsi",
        "-m iwsi-w --valid-mean-loss 0.9 --clip 1.3",
        "-m east",
        "-m east -a -1.5 --target majority",
        "-m sharpening-sft",
        "-m sharpening-sft --reward length-normalized",
        "-m sharpening-sft --reward majority"
      })
  void questionMethodsAgree(String args) {
    both(grouped, args).agreeByResponse(inputOrder, args);
  }

  /** Methods that need a gold answer on every line, on a file where every line has one. */
  @ParameterizedTest
  @ValueSource(strings = {"-m rejection", "-m east -a 2 --target gold"})
  void goldMethodsAgree(String args) {
    both(goldGrouped, goldInterleaved, args).agreeByResponse(goldOrder, args);
  }

  /** sigma is the exact ceil(k n)-th smallest wDS with ties at sigma kept: same notes, same rows. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "-m iwsi --valid-mean-loss 1.7",
        "-m iwsi --valid-mean-loss 1.7 --keep-fraction 0.35"
      })
  void iwsiAgrees(String args) {
    Both r = both(grouped, args);
    r.agreeByResponse(inputOrder, args);
    String note = r.streamingSummary().get("notes").get(0).asText();
    assertTrue(note.startsWith("sigma"), note);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "-m kl-dro",
        "-m loss-reweighting --strategy extremes --temperature 0.05",
        "-m loss-reweighting --strategy quadratic --batch-size 7"
      })
  void lineMethodsAgree(String args) {
    Both r = both(interleaved, args);
    Agreement.inOrder(r.streaming(), r.spark());
  }

  /** Parquet in, a Parquet directory out, same weights as the streaming CLI on the JSONL. */
  @Test
  void parquetInAndOut() throws Exception {
    Path pq = tmp.resolve("in.parquet");
    spark.read().json(interleaved.toString()).write().parquet(pq.toString());
    Path so = tmp.resolve("pq-streaming.jsonl");
    Runs.reweigh(List.of("weigh", "-m", "east", "-a", "1.5", "-i", grouped.toString(), "-o",
        so.toString(), "--summary", tmp.resolve("pq-s.json").toString())).assertExit(0);
    Path po = tmp.resolve("pq-out");
    Runs.reweigh(List.of("weigh", "--engine", "spark", "-m", "east", "-a", "1.5", "-i",
        pq.toString(), "-o", po.toString(), "--summary", tmp.resolve("pq-p.json").toString()))
        .assertExit(0);
    Map<String, JsonNode> ref = new HashMap<>();
    for (JsonNode n : Runs.readJsonl(so)) {
      ref.put(n.get("response_id").asText(), n);
    }
    List<Row> rows = spark.read().parquet(po.toString()).collectAsList();
    assertEquals(ref.size(), rows.size(), "rows");
    for (Row r : rows) {
      JsonNode s = ref.get(r.getString(r.fieldIndex("response_id")));
      assertEquals(s.get("keep").booleanValue(), r.getBoolean(r.fieldIndex("keep")));
      double e = s.get("weight").doubleValue();
      assertEquals(e, r.getDouble(r.fieldIndex("weight")), Agreement.REL * Math.abs(e));
      int h = r.fieldIndex("entropy");
      if (s.get("entropy").isNull()) {
        assertTrue(r.isNullAt(h));
      } else {
        assertEquals(s.get("entropy").doubleValue(), r.getDouble(h),
            Agreement.REL * s.get("entropy").doubleValue());
      }
    }
  }
}
