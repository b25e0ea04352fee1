package dev.reweigh.spark;

import dev.reweigh.cli.unit.LogSumExp;
import java.util.List;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * The whole-input softmax of kl-dro and loss-reweighting (batch size 0): one pass builds a {@link
 * LogSumExp} per partition and merges them on the driver; the output pass maps every row to its
 * weight, in input order, with every row kept.
 */
final class Softmax {

  /** The value a row's weight is the softmax of (the loss, or f(h) of the loss). */
  interface Score extends java.io.Serializable {
    double of(double loss);
  }

  private Softmax() {}

  /** The normaliser of score(loss) over every row of {@code in}: one pass. */
  static LogSumExp normaliser(Dataset<Row> in, RowFields fields, Score score, double r) {
    LogSumExp z = new LogSumExp(r);
    for (LogSumExp part :
        in.javaRDD()
            .mapPartitions(
                it -> {
                  LogSumExp p = new LogSumExp(r);
                  while (it.hasNext()) {
                    p.add(score.of(fields.loss(it.next())));
                  }
                  return List.of(p).iterator();
                })
            .collect()) {
      z.merge(part);
    }
    return z;
  }

  /** The smallest and largest loss of {@code in}: one pass. */
  static double[] range(Dataset<Row> in, RowFields fields) {
    double[] mm = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
    for (double[] part :
        in.javaRDD()
            .mapPartitions(
                it -> {
                  double[] p = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
                  while (it.hasNext()) {
                    double l = fields.loss(it.next());
                    p[0] = Math.min(p[0], l);
                    p[1] = Math.max(p[1], l);
                  }
                  return List.of(p).iterator();
                })
            .collect()) {
      mm[0] = Math.min(mm[0], part[0]);
      mm[1] = Math.max(mm[1], part[1]);
    }
    return mm;
  }

  /** The output pass: weight = softmax of score(loss), keep = true. */
  static Dataset<Row> weigh(Dataset<Row> in, RowFields fields, Score score, LogSumExp z) {
    StructType out = Units.append(in.schema(), Outputs.WEIGHT, Outputs.KEEP);
    return in.map(
        (MapFunction<Row, Row>)
            r -> Units.appendValues(r, z.weight(score.of(fields.loss(r))), true),
        Encoders.row(out));
  }
}
