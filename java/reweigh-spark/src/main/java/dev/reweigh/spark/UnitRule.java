package dev.reweigh.spark;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.types.StructField;

/**
 * A method's decision over one unit (the rows of one question, or one batch), in input order:
 * the values of the columns it adds to each row. Implementations call the core weighting classes
 * ({@code dev.reweigh.weighting}), which stay the single source of the formulas.
 */
interface UnitRule extends Serializable {

  /** The columns added to every row, in order. */
  StructField[] fields();

  /**
   * @param unit the unit's rows, in input order
   * @return one array of {@link #fields()} values per row
   */
  Object[][] decide(List<Candidate> unit);
}
