package dev.reweigh.spark;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Runs a {@link UnitRule} over units: groups the rows by a key with one shuffle (so the rows of
 * a question need not be contiguous), restores input order inside each unit from the row-number
 * column {@link #ROW}, and appends the rule's columns to every row. One unit is held in memory at
 * a time, as in the streaming CLI.
 */
final class Units {

  /** Hidden column with each row's position in the input (increasing in input order). */
  static final String ROW = "__reweigh_row";

  private Units() {}

  /**
   * @param rows the input with the {@link #ROW} column
   * @param key the unit of a row
   * @return {@code rows} with the rule's columns appended, in no particular order
   */
  static <K> Dataset<Row> decide(
      Dataset<Row> rows, MapFunction<Row, K> key, Encoder<K> keyEncoder, RowFields fields,
      UnitRule rule) {
    StructType in = rows.schema();
    int rowIndex = in.fieldIndex(ROW);
    StructType out = append(in, rule.fields());
    return rows.groupByKey(key, keyEncoder)
        .flatMapGroups(
            (FlatMapGroupsFunction<K, Row, Row>)
                (k, it) -> decideUnit(it, rowIndex, fields, rule),
            Encoders.row(out));
  }

  private static Iterator<Row> decideUnit(
      Iterator<Row> it, int rowIndex, RowFields fields, UnitRule rule) {
    List<Row> unit = new ArrayList<>();
    it.forEachRemaining(unit::add);
    unit.sort(Comparator.comparingLong(r -> r.getLong(rowIndex)));
    List<Candidate> c = new ArrayList<>(unit.size());
    for (Row r : unit) {
      c.add(fields.read(r));
    }
    Object[][] added = rule.decide(c);
    List<Row> out = new ArrayList<>(unit.size());
    for (int i = 0; i < unit.size(); i++) {
      out.add(appendValues(unit.get(i), added[i]));
    }
    return out.iterator();
  }

  /** {@code schema} followed by {@code fields}. */
  static StructType append(StructType schema, StructField... fields) {
    StructType s = schema;
    for (StructField f : fields) {
      s = s.add(f);
    }
    return s;
  }

  /** The values of {@code r} followed by {@code values}. */
  static Row appendValues(Row r, Object... values) {
    Object[] v = new Object[r.length() + values.length];
    for (int i = 0; i < r.length(); i++) {
      v[i] = r.get(i);
    }
    System.arraycopy(values, 0, v, r.length(), values.length);
    return RowFactory.create(v);
  }

  /** The first {@code n} values of {@code r} followed by {@code values}. */
  static Row prefixValues(Row r, int n, Object... values) {
    Object[] v = new Object[n + values.length];
    for (int i = 0; i < n; i++) {
      v[i] = r.get(i);
    }
    System.arraycopy(values, 0, v, n, values.length);
    return RowFactory.create(v);
  }
}
