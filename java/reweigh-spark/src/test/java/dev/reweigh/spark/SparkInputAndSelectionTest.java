package dev.reweigh.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.weighting.Iwsi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad input is an error naming the row (question_id, response_id) and the column, with exit code
 * 1 from the CLI and a {@link WeighInputException} from the API; configurable column names; and
 * the exact distributed selection of IWSI's sigma against core's sort-based threshold.
 */
class SparkInputAndSelectionTest {

  @TempDir static Path tmp;
  static SparkSession spark;
  static int run;

  @BeforeAll
  static void start() {
    spark = SparkSessions.get();
  }

  private static Runs.Result weigh(String jsonl, String... args) throws Exception {
    int n = run++;
    Path in = tmp.resolve("bad" + n + ".jsonl");
    Files.writeString(in, jsonl);
    List<String> a = new ArrayList<>(List.of("weigh", "--engine", "spark", "-i", in.toString(),
        "-o", tmp.resolve("out" + n).toString()));
    a.addAll(List.of(args));
    Runs.Result r = Runs.reweigh(a);
    // A message, not a stack trace.
    assertTrue(r.exit() == 0 || (r.err().startsWith("reweigh weigh: ") && !r.err().contains("\tat ")),
        r.err());
    return r;
  }

  /** One candidate line; {@code override} ("\"field\":value") replaces or adds a field. */
  private static String line(String q, String r, String override) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("question_id", q == null ? "null" : "\"" + q + "\"");
    f.put("response_id", "\"" + r + "\"");
    f.put("answer", "\"4\"");
    f.put("gold_answer", "\"4\"");
    f.put("loss", "1.0");
    f.put("log_prob_sum", "-3.0");
    f.put("token_count", "3");
    if (override != null) {
      int colon = override.indexOf("\":");
      f.put(override.substring(1, colon), override.substring(colon + 2));
    }
    StringBuilder sb = new StringBuilder("{");
    f.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
    return sb.append("}\n").toString();
  }

  private static final String GOOD = line("q0", "r0", null);

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "\"loss\":-0.5 | -m kl-dro | column \"loss\" = -0.5 is negative",
        "\"loss\":\"abc\" | -m iwsi --valid-mean-loss 2 | column \"loss\" must be a number, got \"abc\"",
        "\"loss\":null | -m iwsi-w --valid-mean-loss 2 | column \"loss\" is null",
        "\"gold_answer\":\"5\" | -m rejection | column \"gold_answer\" = \"5\" differs from \"4\" at"
            + " question_id \"q1\", response_id \"r0\"",
        "\"token_count\":0 | -m sharpening-sft --reward length-normalized | column \"token_count\" = 0"
            + " cannot length-normalise",
        "\"token_count\":2.5 | -m lmsi | column \"token_count\" must be a non-negative integer",
        "\"log_prob_sum\":NaN | -m sharpening-sft | column \"log_prob_sum\" = NaN is not finite"
      })
  void badValueNamesRowAndColumn(String field, String method, String expected) throws Exception {
    String text =
        GOOD + line("q1", "r0", null) + line("q1", "r1", field.trim()) + line("q0", "r2", null);
    weigh(text, method.trim().split(" "))
        .assertExit(1)
        .assertErrContains("question_id \"q1\", response_id \"r1\"", expected.trim());
  }

  @Test
  void nullQuestionIdNamesTheResponse() throws Exception {
    weigh(GOOD + line(null, "r9", null), "-m", "lmsi")
        .assertExit(1)
        .assertErrContains("question_id null, response_id \"r9\": column \"question_id\" is null");
  }

  @Test
  void lineThatIsNotJsonIsReported() throws Exception {
    weigh(GOOD + "{\"question_id\": \"q1\", oops\n", "-m", "lmsi")
        .assertExit(1)
        .assertErrContains("a line is not a JSON object: {\"question_id\": \"q1\", oops");
  }

  @Test
  void missingColumnIsNamed() throws Exception {
    weigh("{\"question_id\":\"q0\",\"answer\":\"1\"}\n", "-m", "kl-dro")
        .assertExit(1)
        .assertErrContains("missing required column \"loss\"");
  }

  @Test
  void usageErrorsExitWithTwo() throws Exception {
    Path in = tmp.resolve("usage.jsonl");
    Files.writeString(in, GOOD);
    Runs.reweigh(List.of("weigh", "--engine", "spark", "-m", "lmsi", "-i", in.toString(), "-o",
            tmp.toString()))
        .assertExit(2)
        .assertErrContains("exists; --engine spark writes a new directory");
    Runs.reweigh(List.of("weigh", "--engine", "spark", "--format", "csv", "-m", "lmsi", "-i",
            in.toString(), "-o", tmp.resolve("csv-out").toString()))
        .assertExit(2)
        .assertErrContains("Invalid value for --format: 'csv'");
    Runs.reweigh(List.of("weigh", "--engine", "spark", "-m", "lmsi", "-i", "-", "-o",
            tmp.resolve("stdin-out").toString()))
        .assertExit(2)
        .assertErrContains("not stdin/stdout");
  }

  /** The API throws the same error, unwrapped from Spark's job failure. */
  @Test
  void apiThrowsWeighInputException() throws Exception {
    Path in = tmp.resolve("api.jsonl");
    Files.writeString(in, GOOD + line("q0", "r5", "\"loss\":-2.0"));
    Dataset<Row> d = spark.read().json(in.toString());
    WeighInputException e =
        assertThrows(WeighInputException.class, () -> SparkWeigh.iwsi(1.0).weigh(d));
    assertTrue(e.getMessage().contains("question_id \"q0\", response_id \"r5\": column \"loss\""),
        e.getMessage());
  }

  /** Renamed input columns give the same weights as the default names. */
  @Test
  void configurableColumns() throws Exception {
    Path in = tmp.resolve("cols.jsonl");
    Files.writeString(in, GeneratedCandidates.text(GeneratedCandidates.generate(5, 30, false)));
    Dataset<Row> d = spark.read().json(in.toString());
    Dataset<Row> renamed =
        d.withColumnRenamed("question_id", "prompt")
            .withColumnRenamed("answer", "pred")
            .withColumnRenamed("loss", "nll");
    WeighColumns cols =
        WeighColumns.DEFAULT.withQuestionId("prompt").withAnswer("pred").withLoss("nll");
    List<Row> a = SparkWeigh.iwsi(1.5).apply(d).select("response_id", "weight", "keep").collectAsList();
    List<Row> b =
        SparkWeigh.iwsi(1.5).columns(cols).apply(renamed).select("response_id", "weight", "keep")
            .collectAsList();
    assertEquals(a, b);
    assertEquals(d.count(), b.size());
  }

  /**
   * The radix selection forced through every refinement level (collect limit 0 and 3) gives the
   * core's sigma: the ceil(k n)-th smallest after a full sort.
   */
  @Test
  void distributedSigmaEqualsSortedThreshold() {
    Random rnd = new Random(11);
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      int kind = rnd.nextInt(10);
      values.add(
          kind == 0 ? Double.POSITIVE_INFINITY
              : kind < 4 ? 1.0 + rnd.nextInt(5) * 0.25 // ties
              : 1.0 + Math.abs(rnd.nextGaussian()) * (kind == 9 ? 1e6 : 1.0));
    }
    double[] all = values.stream().mapToDouble(Double::doubleValue).toArray();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    var rdd = jsc.parallelizeDoubles(values, 3);
    for (double k : new double[] {0.8, 0.35, 0.0001}) {
      double expected = Iwsi.threshold(all.clone(), k);
      // Limits 0 and 3 force every refinement level; the agreement tests collect at once.
      for (long collect : new long[] {0, 3}) {
        IwsiThreshold.Result r = IwsiThreshold.select(rdd, k, collect);
        assertEquals(expected, r.sigma(), 0.0, "k = " + k + ", collect = " + collect);
        assertEquals(all.length, r.n());
      }
    }
    assertEquals(Double.NEGATIVE_INFINITY,
        IwsiThreshold.select(jsc.parallelizeDoubles(List.of(), 2), 0.8).sigma());
    assertTrue(Arrays.stream(all).anyMatch(Double::isInfinite));
  }
}
