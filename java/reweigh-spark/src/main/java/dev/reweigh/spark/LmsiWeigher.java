package dev.reweigh.spark;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;

/**
 * {@code lmsi}: keep the majority-answer responses of each question, weight 1 (docs/methods.md
 * §1). Passes: one read of the input, one shuffle by question.
 */
public final class LmsiWeigher extends Weigher<LmsiWeigher> {

  LmsiWeigher() {}

  @Override
  Set<Field> required() {
    return EnumSet.of(Field.QUESTION_ID);
  }

  @Override
  StructField[] outputs() {
    return new LmsiRule().fields();
  }

  @Override
  Weighed run(Dataset<Row> in, RowFields fields) {
    return new Weighed(
        finish(byQuestion(in, fields, new LmsiRule())), List.of(),
        "1 read of the input, 1 shuffle by question_id" + sortPass());
  }
}
