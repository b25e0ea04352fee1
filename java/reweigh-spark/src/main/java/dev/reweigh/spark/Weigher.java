package dev.reweigh.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * One {@code reweigh weigh} method over a {@code Dataset<Row>}: same parameters and defaults as
 * the CLI, input columns named by {@link WeighColumns}. {@link #weigh} runs the global passes the
 * method needs (eagerly) and returns the rows with {@code weight}, {@code keep} and the method's
 * extra column added (input columns of those names are replaced); one output row per input row.
 *
 * <p>Order: the rows of a question are taken in input order (the majority tie rule and best-of-N
 * depend on it), and the batches of B consecutive rows follow input order; input order is the
 * Dataset's partition order (for a single file, the file's order). With {@link
 * #inputOrder(boolean)} (default true) the output is sorted back into input order, which costs one
 * sort.
 *
 * <p>The input is evaluated once per pass (see each method's {@link Weighed#passes()}): persist
 * it first when it is expensive to compute, and it must give the same rows each time.
 *
 * @param <W> the concrete weigher, for chained setters
 */
public abstract class Weigher<W extends Weigher<W>> {

  private WeighColumns columns = WeighColumns.DEFAULT;
  private boolean inputOrder = true;

  Weigher() {}

  @SuppressWarnings("unchecked")
  final W self() {
    return (W) this;
  }

  /**
   * @param c the input column names (default {@link WeighColumns#DEFAULT})
   * @return this
   */
  public W columns(WeighColumns c) {
    this.columns = Params.present(c, "columns");
    return self();
  }

  /**
   * @param keep whether the output is sorted back into input order (default true)
   * @return this
   */
  public W inputOrder(boolean keep) {
    this.inputOrder = keep;
    return self();
  }

  final WeighColumns columns() {
    return columns;
  }

  /**
   * Weighs {@code input}; shorthand for {@code weigh(input).rows()}.
   *
   * @param input the candidates
   * @return every input row with the method's columns
   */
  public Dataset<Row> apply(Dataset<Row> input) {
    return weigh(input).rows();
  }

  /**
   * Weighs {@code input}, running the method's global passes now.
   *
   * @param input the candidates
   * @return the rows (lazy), notes and pass count
   * @throws WeighInputException naming the row (question_id, response_id) and column of bad
   *     input, or a missing column
   */
  public Weighed weigh(Dataset<Row> input) {
    for (String name : input.columns()) {
      if (name.startsWith("__reweigh_")) {
        throw new WeighInputException("column \"" + name + "\": the prefix __reweigh_ is reserved");
      }
    }
    String[] replaced =
        Arrays.stream(outputs()).map(StructField::name).toArray(String[]::new);
    Dataset<Row> in = input.drop(replaced);
    RowFields fields = new RowFields(in.schema(), columns, required());
    try {
      return run(in, fields);
    } catch (Exception e) { // a failed Spark job is a SparkException, checked to javac
      WeighInputException bad = WeighInputException.in(e);
      if (bad != null) {
        throw bad;
      }
      throw e;
    }
  }

  /** Fields every row must have. */
  abstract Set<Field> required();

  /** The columns this method adds. */
  abstract StructField[] outputs();

  /** Runs the method on {@code in} (output columns already dropped). */
  abstract Weighed run(Dataset<Row> in, RowFields fields);

  /** {@code in} with the hidden row-number column {@link Units#ROW} (increasing in input order). */
  static Dataset<Row> withRow(Dataset<Row> in) {
    return in.withColumn(Units.ROW, functions.monotonically_increasing_id());
  }

  /** Applies {@code rule} to the rows of each question (grouped by one shuffle). */
  static Dataset<Row> byQuestion(Dataset<Row> in, RowFields fields, UnitRule rule) {
    return Units.decide(
        withRow(in), (MapFunction<Row, String>) fields::questionKey, Encoders.STRING(), fields,
        rule);
  }

  /**
   * Applies {@code rule} to batches of {@code b} consecutive rows: rows are numbered 0, 1, ... in
   * input order (one counting pass), then grouped by number / b.
   */
  static Dataset<Row> byBatch(Dataset<Row> in, RowFields fields, UnitRule rule, int b) {
    StructType s =
        Units.append(in.schema(), DataTypes.createStructField(Units.ROW, DataTypes.LongType, false));
    JavaRDD<Row> numbered = in.javaRDD().zipWithIndex().map(t -> Units.appendValues(t._1(), t._2()));
    Dataset<Row> rows = in.sparkSession().createDataFrame(numbered, s);
    int row = s.fieldIndex(Units.ROW);
    return Units.decide(
        rows, (MapFunction<Row, Long>) r -> r.getLong(row) / b, Encoders.LONG(), fields, rule);
  }

  /** The pass {@link #finish} adds, for {@link Weighed#passes()}. */
  final String sortPass() {
    return inputOrder ? ", 1 sort back into input order" : "";
  }

  /** Sorts back into input order when asked, and drops the row-number column. */
  final Dataset<Row> finish(Dataset<Row> rows) {
    return (inputOrder ? rows.orderBy(Units.ROW) : rows).drop(Units.ROW);
  }

  /** The schema of {@code s}'s first {@code n} columns followed by {@code added}. */
  static StructType prefix(StructType s, int n, StructField... added) {
    List<StructField> f = new ArrayList<>(Arrays.asList(s.fields()).subList(0, n));
    f.addAll(Arrays.asList(added));
    return DataTypes.createStructType(f);
  }
}
