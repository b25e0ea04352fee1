package dev.reweigh.spark;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.East;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * {@code east}: weight each trained question by f(h) = h^a / mean h^a, the mean over every
 * trained question of the input (arXiv:2503.23913; docs/methods.md §3), with an {@code entropy}
 * column (null for questions with nothing to train on). Trained responses: gold-correct where the
 * question has a gold answer ({@link EastTarget#AUTO}), else the majority.
 *
 * <p>Passes: one read of the input and one shuffle by question (trained flags and h per
 * question); one pass over the shuffled rows for the mean ({@link EastNormaliser}, max-shifted in
 * log space); one output pass over the shuffled rows.
 */
public final class EastWeigher extends Weigher<EastWeigher> {

  private double a = East.DEFAULT_A;
  private EastTarget target = EastTarget.AUTO;

  EastWeigher() {}

  /**
   * @param exponent a, finite (default 1)
   * @return this
   */
  public EastWeigher exponent(double exponent) {
    this.a = Params.finite(exponent, "exponent");
    return this;
  }

  /**
   * @param t which responses are trained on (default AUTO)
   * @return this
   */
  public EastWeigher target(EastTarget t) {
    this.target = Params.present(t, "target");
    return this;
  }

  @Override
  Set<Field> required() {
    return Responses.eastFields(target == EastTarget.GOLD, Field.QUESTION_ID, Field.GOLD_ANSWER);
  }

  @Override
  StructField[] outputs() {
    return new StructField[] {Outputs.WEIGHT, Outputs.KEEP, Outputs.ENTROPY};
  }

  @Override
  Weighed run(Dataset<Row> in, RowFields fields) {
    Dataset<Row> stage =
        byQuestion(in, fields, new EastStageRule(target, columns().goldAnswer()));
    StructType s = stage.schema();
    int trained = s.fieldIndex(EastStageRule.TRAINED.name());
    int h = s.fieldIndex(EastStageRule.H.name());
    int first = s.fieldIndex(EastStageRule.FIRST.name());
    JavaRDD<Row> rows = stage.javaRDD();
    double exponent = a;
    EastNormaliser norm = new EastNormaliser(a);
    for (EastNormaliser part :
        rows.mapPartitions(
                it -> {
                  EastNormaliser e = new EastNormaliser(exponent);
                  while (it.hasNext()) {
                    Row r = it.next();
                    if (r.getBoolean(first)) {
                      e.add(r.isNullAt(h) ? null : r.getDouble(h));
                    }
                  }
                  return List.of(e).iterator();
                })
            .collect()) {
      norm.merge(part);
    }
    List<String> notes = notes(norm);
    StructType out = prefix(s, trained, outputs());
    int base = trained;
    JavaRDD<Row> decided =
        rows.map(
            r -> {
              if (r.isNullAt(h)) {
                return Units.prefixValues(r, base, 0.0, false, null);
              }
              double entropy = r.getDouble(h);
              double w = norm.weight(entropy);
              // Weight 0 (h = 0 with a > 0) trains on nothing: not kept.
              boolean keep = r.getBoolean(trained) && !Double.isNaN(w) && w > 0;
              return Units.prefixValues(r, base, keep ? w : 0.0, keep, entropy);
            });
    return new Weighed(
        finish(in.sparkSession().createDataFrame(decided, out)), notes,
        "1 read of the input, 1 shuffle by question_id, 1 pass for mean h^a and 1 output pass"
            + " over the shuffled rows" + sortPass());
  }

  private List<String> notes(EastNormaliser n) {
    List<String> notes = new ArrayList<>();
    long untrained = n.questions() - n.trained();
    if (untrained > 0) {
      notes.add(untrained + " question(s) dropped: no response to train on");
    }
    if (a < 0 && n.zero() > 0) {
      notes.add(n.zero() + " question(s) with entropy 0 dropped: h^a is undefined for a = " + a
          + " < 0");
    }
    if (a > 0 && n.zero() > 0) {
      notes.add(n.zero() + " question(s) with entropy 0 get weight 0 (a = " + a + " > 0)");
    }
    return notes;
  }
}
