package dev.reweigh.spark;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The result of a {@link Weigher}: every input row with the method's columns, plus what the
 * global passes found.
 *
 * @param rows the input rows with {@code weight}, {@code keep} and the method's extra column;
 *     lazy: the output pass runs when it is written or collected
 * @param notes what the global passes found (IWSI's sigma, questions EAST dropped), as in the
 *     CLI's summary
 * @param passes how often the input and the shuffled data are read
 */
public record Weighed(Dataset<Row> rows, List<String> notes, String passes) {

  /** Copies the notes. */
  public Weighed {
    notes = List.copyOf(notes);
  }
}
