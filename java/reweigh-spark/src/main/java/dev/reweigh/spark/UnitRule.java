package dev.reweigh.spark;

import dev.reweigh.cli.unit.Responses;
import java.io.Serializable;
import java.util.List;
import java.util.function.IntFunction;
import org.apache.spark.sql.types.StructField;

/**
 * A method's decision over one unit (the rows of one question, or one batch), in input order:
 * the values of the columns it adds to each row. Implementations call the core weighting classes
 * ({@code dev.reweigh.weighting}), which stay the single source of the formulas.
 */
interface UnitRule extends Serializable {

  /** The columns added to every row, in order: {@code weight} and {@code keep} unless overridden. */
  default StructField[] fields() {
    return new StructField[] {Outputs.WEIGHT, Outputs.KEEP};
  }

  /**
   * @param unit the unit's rows, in input order
   * @return one array of {@link #fields()} values per row
   */
  Object[][] decide(List<Candidate> unit);

  /**
   * The question's gold answer: the gold answer of its rows, which must agree (as answers do,
   * after normalisation); {@code null} when no row has one.
   */
  static String gold(List<Candidate> question, String goldColumn) {
    return Responses.gold(
        question,
        (c, from, gold) ->
            new WeighInputException(
                c.where() + ": column \"" + goldColumn + "\" = \"" + c.goldAnswer()
                    + "\" differs from \"" + gold + "\" at " + from.where()
                    + " of the same question"));
  }

  /** The values of rows 0..n-1 of a unit, {@code row.apply(i)} for row i. */
  static Object[][] rows(int n, IntFunction<Object[]> row) {
    Object[][] d = new Object[n][];
    for (int i = 0; i < n; i++) {
      d[i] = row.apply(i);
    }
    return d;
  }
}
