package dev.reweigh.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reweigh.cli.ReweighCli;
import dev.reweigh.cli.WeighEngine;
import dev.reweigh.cli.WeighRequest;
import dev.reweigh.weighting.LossReweighting;
import dev.reweigh.weighting.Sharpening.SelfReward;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code reweigh weigh --engine spark}: reads JSONL or Parquet, runs the method through the Spark
 * API ({@link SparkWeigh}) and writes a Spark output directory in the input's format, then the
 * summary. Found by the CLI through {@link java.util.ServiceLoader} (META-INF/services), so the
 * streaming engine never loads Spark.
 */
public final class SparkWeighEngine implements WeighEngine {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Used by ServiceLoader. */
  public SparkWeighEngine() {}

  @Override
  public String name() {
    return "spark";
  }

  @Override
  public int weigh(WeighRequest r, PrintWriter err) throws IOException {
    if ("-".equals(r.input()) || "-".equals(r.output())) {
      throw new IllegalArgumentException(
          "--engine spark reads and writes paths (a file or a directory), not stdin/stdout");
    }
    String format = format(r);
    if (Files.exists(Path.of(r.output()))) {
      throw new IllegalArgumentException(
          "--output " + r.output() + " exists; --engine spark writes a new directory");
    }
    if (!Files.exists(Path.of(r.input())) && !r.input().contains("://")) {
      throw new IllegalArgumentException("--input file not found: " + r.input());
    }
    Weigher<?> weigher = weigher(r.method(), r.parameters());
    SparkSession.Builder b = SparkSession.builder().appName("reweigh weigh " + r.method());
    String master = r.master();
    if (master == null && !new SparkConf().contains("spark.master")) {
      master = "local[*]"; // not under spark-submit
    }
    if (master != null) {
      b.master(master);
    }
    // A session that already runs (an application embedding the CLI, a test) is used, not stopped.
    boolean owned = SparkSession.getDefaultSession().isEmpty();
    if (owned && !new SparkConf().contains("spark.log.level")) {
      b.config("spark.log.level", "WARN"); // the summary, not Spark's start-up, on stderr
    }
    SparkSession spark = b.getOrCreate();
    try {
      Dataset<Row> in = read(spark, r.input(), format);
      Weighed w = weigher.weigh(in);
      WeightStats stats = new WeightStats();
      spark.sparkContext().register(stats, "reweigh weight stats");
      Dataset<Row> out = counted(w.rows(), stats);
      if ("parquet".equals(format)) {
        out.write().parquet(r.output());
      } else {
        out.write().option("ignoreNullFields", false).json(r.output());
      }
      summary(r, format, spark.sparkContext().master(), w, stats.value(), err);
      return 0;
    } catch (Exception e) { // a failed Spark job is a SparkException, checked to javac
      WeighInputException bad = WeighInputException.in(e);
      if (bad == null) {
        throw e;
      }
      err.println("reweigh weigh: " + r.input() + ": " + bad.getMessage());
      err.flush();
      return ReweighCli.EXIT_INPUT;
    } finally {
      if (owned) {
        spark.stop();
      }
    }
  }

  /** --format, else parquet for a name ending in .parquet, else jsonl. */
  static String format(WeighRequest r) {
    String f = r.format();
    if (f == null) {
      return r.input().toLowerCase(Locale.ROOT).replaceAll("/+$", "").endsWith(".parquet")
          ? "parquet"
          : "jsonl";
    }
    f = f.toLowerCase(Locale.ROOT);
    if (!f.equals("jsonl") && !f.equals("parquet")) {
      throw new IllegalArgumentException(
          "Invalid value for --format: '" + r.format() + "'; expected one of [jsonl, parquet]");
    }
    return f;
  }

  /**
   * The input as rows. An input that exists but holds no candidate (an empty or blank JSONL
   * file, a directory with no data file) is zero rows of the CLI's columns, so it gives an empty
   * output like the streaming engine's (docs/design.md §7.1).
   */
  private static Dataset<Row> read(SparkSession spark, String input, String format) {
    Dataset<Row> in;
    try {
      in = "parquet".equals(format) ? spark.read().parquet(input) : spark.read().json(input);
    } catch (Exception e) { // AnalysisException is checked to javac, unchecked in Scala
      if (e instanceof AnalysisException a && "UNABLE_TO_INFER_SCHEMA".equals(a.getCondition())) {
        return noCandidates(spark); // no data file
      }
      throw e;
    }
    if (in.columns().length == 0 && in.isEmpty()) {
      // No JSON line; lines of objects without fields ({}) are rows that lack every column.
      return noCandidates(spark);
    }
    if (List.of(in.columns()).contains("_corrupt_record")) {
      // Every column is selected, so Spark allows the query on the corrupt-record column.
      List<Row> bad =
          in.filter(functions.col("_corrupt_record").isNotNull()).limit(1).collectAsList();
      if (!bad.isEmpty()) {
        String line = bad.get(0).getString(bad.get(0).fieldIndex("_corrupt_record"));
        throw new WeighInputException(
            "a line is not a JSON object: " + (line.length() > 200 ? line.substring(0, 200) + "..." : line));
      }
      in = in.drop("_corrupt_record");
    }
    return in;
  }

  /** Zero rows of the CLI's input columns (WeighColumns.DEFAULT), with their JSON types. */
  private static Dataset<Row> noCandidates(SparkSession spark) {
    WeighColumns c = WeighColumns.DEFAULT;
    StructType schema = new StructType()
        .add(c.questionId(), DataTypes.StringType)
        .add(c.responseId(), DataTypes.StringType)
        .add(c.answer(), DataTypes.StringType)
        .add(c.goldAnswer(), DataTypes.StringType)
        .add(c.loss(), DataTypes.DoubleType)
        .add(c.logProbSum(), DataTypes.DoubleType)
        .add(c.tokenCount(), DataTypes.LongType);
    return spark.createDataFrame(List.of(), schema);
  }

  /** {@code rows} unchanged, counting weights and keep flags into {@code stats} as they pass. */
  private static Dataset<Row> counted(Dataset<Row> rows, WeightStats stats) {
    int weight = rows.schema().fieldIndex("weight");
    int keep = rows.schema().fieldIndex("keep");
    return rows.mapPartitions(
        (MapPartitionsFunction<Row, Row>)
            it ->
                new Iterator<Row>() {
                  @Override
                  public boolean hasNext() {
                    return it.hasNext();
                  }

                  @Override
                  public Row next() {
                    Row r = it.next();
                    stats.add(new double[] {r.getDouble(weight), r.getBoolean(keep) ? 1 : 0});
                    return r;
                  }
                },
        Encoders.row(rows.schema()));
  }

  /** The weigher for a CLI method name and its resolved parameters. */
  static Weigher<?> weigher(String method, Map<String, Object> p) {
    switch (method) {
      case "lmsi":
        return SparkWeigh.lmsi();
      case "rejection":
        return SparkWeigh.rejection();
      case "iwsi":
        return SparkWeigh.iwsi(num(p, "valid_mean_loss")).keepFraction(num(p, "keep_fraction"));
      case "iwsi-w":
        return SparkWeigh.iwsiClipped(num(p, "valid_mean_loss")).clip(num(p, "clip"));
      case "east":
        return SparkWeigh.east()
            .exponent(num(p, "a"))
            .target(EastTarget.valueOf(constant(p, "target")));
      case "sharpening-sft":
        return SparkWeigh.sharpeningSft().reward(SelfReward.valueOf(constant(p, "reward")));
      case "loss-reweighting":
        return SparkWeigh.lossReweighting()
            .strategy(LossReweighting.Strategy.valueOf(constant(p, "strategy")))
            .temperature(num(p, "temperature"))
            .batchSize((int) num(p, "batch_size"));
      case "kl-dro":
        return SparkWeigh.klDro()
            .temperature(num(p, "temperature"))
            .batchSize((int) num(p, "batch_size"));
      default:
        throw new IllegalArgumentException("--engine spark has no method '" + method + "'");
    }
  }

  private static double num(Map<String, Object> p, String key) {
    return ((Number) p.get(key)).doubleValue();
  }

  /** "lin-upper" to LIN_UPPER. */
  private static String constant(Map<String, Object> p, String key) {
    return p.get(key).toString().toUpperCase(Locale.ROOT).replace('-', '_');
  }

  private static void summary(
      WeighRequest r, String format, String master, Weighed w, double[] s, PrintWriter err)
      throws IOException {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("method", r.method());
    ObjectNode params = o.putObject("parameters");
    for (Map.Entry<String, Object> e : r.parameters().entrySet()) {
      params.putPOJO(e.getKey(), e.getValue());
    }
    o.put("engine", "spark");
    o.put("master", master);
    o.put("format", format);
    o.put("passes", w.passes());
    o.put("candidates", (long) s[0]);
    o.put("kept", (long) s[1]);
    o.put("weight_sum", s[2]);
    if (s[0] > 0) {
      o.put("weight_min", s[3]);
      o.put("weight_max", s[4]);
    }
    // An empty input is legal (docs/design.md §7.1): the methods' notes say nothing about it.
    List<String> notes =
        s[0] == 0 ? List.of(WeighEngine.EMPTY_INPUT_NOTE) : new ArrayList<>(w.notes());
    o.putArray("notes").addAll(notes.stream().map(o::textNode).toList());
    String json = MAPPER.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o);
    if (r.summaryFile() != null) {
      Files.writeString(r.summaryFile(), json + "\n", StandardCharsets.UTF_8);
    } else {
      err.println(json);
      err.flush();
    }
  }
}
