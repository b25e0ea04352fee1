package dev.reweigh.spark;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;

/**
 * {@code rejection}: keep the responses equal to the question's gold answer, weight 1
 * (docs/methods.md §3). Passes: one read of the input, one shuffle by question.
 */
public final class RejectionWeigher extends Weigher<RejectionWeigher> {

  RejectionWeigher() {}

  @Override
  Set<Field> required() {
    return EnumSet.of(Field.QUESTION_ID, Field.GOLD_ANSWER);
  }

  @Override
  StructField[] outputs() {
    return new RejectionRule("").fields();
  }

  @Override
  Weighed run(Dataset<Row> in, RowFields fields) {
    return new Weighed(
        finish(byQuestion(in, fields, new RejectionRule(columns().goldAnswer()))), List.of(),
        "1 read of the input, 1 shuffle by question_id" + sortPass());
  }
}
