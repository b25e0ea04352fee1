package dev.reweigh.spark;

import java.io.Serializable;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Reads and validates the input fields of one row with the rules of {@code reweigh weigh}'s JSONL
 * reader: ids are strings or integers; answers strings, numbers or null; loss and log_prob_sum
 * finite numbers (loss {@code >= 0}); token_count a non-negative integer. Every field whose column
 * is present is checked, a required field must be present and non-null. A number column that
 * Spark read as text (a JSON field mixing numbers and strings) is parsed value by value. Errors
 * are {@link WeighInputException}s naming the row by question_id and response_id, and the column.
 */
final class RowFields implements Serializable {
  private static final long serialVersionUID = 1L;

  /** JSON's number grammar, for number columns read as text. */
  private static final Pattern JSON_NUMBER =
      Pattern.compile("-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?");

  private final WeighColumns columns;
  private final Set<Field> required;
  /** Column index of each field present in the schema. */
  private final EnumMap<Field, Integer> index = new EnumMap<>(Field.class);

  /**
   * @throws WeighInputException when a required column is missing from {@code schema}
   */
  RowFields(StructType schema, WeighColumns columns, Set<Field> required) {
    this.columns = columns;
    this.required = Set.copyOf(required);
    for (Field f : Field.values()) {
      String name = f.column(columns);
      if (Arrays.asList(schema.fieldNames()).contains(name)) {
        index.put(f, schema.fieldIndex(name));
      } else if (required.contains(f)) {
        throw new WeighInputException(
            "missing required column \"" + name + "\" (columns: "
                + String.join(", ", schema.fieldNames()) + ")");
      }
    }
  }

  /** "question_id "q7", response_id "r3"" (the id columns that exist) for messages. */
  String where(Row r) {
    StringBuilder sb = new StringBuilder();
    for (Field f : new Field[] {Field.QUESTION_ID, Field.RESPONSE_ID}) {
      Integer i = index.get(f);
      if (i != null) {
        Object v = r.get(i);
        sb.append(sb.length() == 0 ? "" : ", ").append(f.column(columns)).append(' ')
            .append(v == null ? "null" : "\"" + v + "\"");
      }
    }
    return sb.length() == 0 ? "row " + r : sb.toString();
  }

  /** The row's question id as text (the grouping key). */
  String questionKey(Row r) {
    return id(r, Field.QUESTION_ID);
  }

  /** Every present field of {@code r}, validated. */
  Candidate read(Row r) {
    String questionId = id(r, Field.QUESTION_ID);
    id(r, Field.RESPONSE_ID);
    Double loss = number(r, Field.LOSS);
    if (loss != null && loss < 0) {
      throw bad(r, Field.LOSS, "= " + loss + " is negative; a loss must be >= 0");
    }
    return new Candidate(
        where(r),
        questionId,
        answer(r, Field.ANSWER),
        answer(r, Field.GOLD_ANSWER),
        loss,
        number(r, Field.LOG_PROB_SUM),
        count(r, Field.TOKEN_COUNT));
  }

  /** The loss of {@code r} (a required field), validated. */
  double loss(Row r) {
    return read(r).loss();
  }

  WeighInputException bad(Row r, Field f, String what) {
    return new WeighInputException(where(r) + ": column \"" + f.column(columns) + "\" " + what);
  }

  /** The field's value, or null when the column is absent or the value null (then required fields fail). */
  private Object get(Row r, Field f) {
    Integer i = index.get(f);
    Object v = i == null ? null : r.get(i);
    if (v == null && required.contains(f)) {
      throw bad(r, f, "is null; the method needs it");
    }
    return v;
  }

  private String id(Row r, Field f) {
    Object v = get(r, f);
    if (v == null) {
      return null;
    }
    if (v instanceof String || v instanceof Long || v instanceof Integer || v instanceof Short
        || v instanceof Byte) {
      return v.toString();
    }
    if (v instanceof BigDecimal d && d.stripTrailingZeros().scale() <= 0) {
      return d.toBigInteger().toString();
    }
    throw bad(r, f, "must be a string or an integer, got " + describe(v));
  }

  private String answer(Row r, Field f) {
    Object v = get(r, f);
    if (v == null) {
      return null;
    }
    if (v instanceof String || v instanceof Number) {
      return v.toString(); // Double.toString, as the JSONL reader's numberValue().toString()
    }
    throw bad(r, f, "must be a string, a number or null, got " + describe(v));
  }

  private Double number(Row r, Field f) {
    Object v = get(r, f);
    if (v == null) {
      return null;
    }
    double d;
    if (v instanceof Number n) {
      d = n.doubleValue();
    } else if (v instanceof String s && JSON_NUMBER.matcher(s.strip()).matches()) {
      d = Double.parseDouble(s.strip());
    } else {
      throw bad(r, f, "must be a number, got " + describe(v));
    }
    if (!Double.isFinite(d)) {
      throw bad(r, f, "= " + v + " is not finite");
    }
    return d;
  }

  private Long count(Row r, Field f) {
    Object v = get(r, f);
    if (v == null) {
      return null;
    }
    BigDecimal d = null;
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      d = BigDecimal.valueOf(((Number) v).longValue());
    } else if (v instanceof BigDecimal b) {
      d = b;
    } else if (v instanceof Double x && Double.isFinite(x)) {
      d = BigDecimal.valueOf(x);
    } else if (v instanceof String s && JSON_NUMBER.matcher(s.strip()).matches()) {
      d = new BigDecimal(s.strip());
    }
    if (d == null || d.signum() < 0 || d.stripTrailingZeros().scale() > 0
        || d.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw bad(r, f, "must be a non-negative integer, got " + describe(v));
    }
    return d.longValueExact();
  }

  private static String describe(Object v) {
    return v instanceof String ? "\"" + v + "\"" : v + " (" + v.getClass().getSimpleName().toLowerCase(Locale.ROOT) + ")";
  }
}
