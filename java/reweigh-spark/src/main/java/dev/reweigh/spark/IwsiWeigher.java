package dev.reweigh.spark;

import dev.reweigh.weighting.Iwsi;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaDoubleRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * {@code iwsi}: majority filter, then keep the fraction k of the majority-kept rows with the
 * lowest DS weight over the whole input (Jiang et al., arXiv:2408.09849, Eq. 3-5;
 * docs/methods.md §2), with a {@code ds_weight} column (null where infinite, i.e. loss 0).
 *
 * <p>Passes: one read of the input and one shuffle by question, which computes each row's
 * majority flag and wDS; sigma, the exact {@code ceil(k n)}-th smallest wDS of the n
 * majority-kept rows (ties at sigma all kept), by {@link IwsiThreshold} in 2 to 4 passes over the
 * shuffled rows (Spark reuses the shuffle output, the input is not read again); one output pass
 * over the shuffled rows.
 */
public final class IwsiWeigher extends MajorityLossWeigher<IwsiWeigher> {

  private double keepFraction = Iwsi.DEFAULT_KEEP_FRACTION;

  IwsiWeigher(double validMeanLoss) {
    super(validMeanLoss);
  }

  /**
   * @param k the kept fraction in (0, 1] (default 0.8)
   * @return this
   */
  public IwsiWeigher keepFraction(double k) {
    this.keepFraction = Params.fraction(k, "keepFraction");
    return this;
  }

  @Override
  StructField[] outputs() {
    return new StructField[] {Outputs.WEIGHT, Outputs.KEEP, Outputs.DS_WEIGHT};
  }

  @Override
  Weighed run(Dataset<Row> in, RowFields fields) {
    Dataset<Row> stage = byQuestion(in, fields, new IwsiStageRule(validMeanLoss));
    StructType s = stage.schema();
    int major = s.fieldIndex(IwsiStageRule.MAJORITY.name());
    int ds = s.fieldIndex(IwsiStageRule.DS.name());
    JavaRDD<Row> rows = stage.javaRDD();
    JavaDoubleRDD majorityDs = rows.filter(r -> r.getBoolean(major)).mapToDouble(r -> r.getDouble(ds));
    IwsiThreshold.Result t = IwsiThreshold.select(majorityDs, keepFraction);
    List<String> notes = new ArrayList<>();
    if (t.n() == 0) {
      notes.add("no candidate passed the majority vote");
    } else {
      notes.add("sigma (keep threshold on ds_weight) = " + t.sigma() + " over " + t.n()
          + " majority-kept candidates");
    }
    double sigma = t.sigma();
    int base = major; // the input's columns and the row number precede the stage's columns
    StructType out = prefix(s, base, outputs());
    JavaRDD<Row> decided =
        rows.map(
            r -> {
              double w = r.getDouble(ds);
              boolean keep = r.getBoolean(major) && w <= sigma;
              return Units.prefixValues(
                  r, base, keep ? 1.0 : 0.0, keep, Double.isInfinite(w) ? null : w);
            });
    return new Weighed(
        finish(in.sparkSession().createDataFrame(decided, out)), notes,
        "1 read of the input, 1 shuffle by question_id, " + t.passes()
            + " selection passes and 1 output pass over the shuffled rows" + sortPass());
  }
}
