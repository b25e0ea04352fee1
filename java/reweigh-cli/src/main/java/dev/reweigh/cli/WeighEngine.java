package dev.reweigh.cli;

import java.io.IOException;
import java.io.PrintWriter;

/**
 * An engine other than the built-in streaming one for {@code reweigh weigh --engine NAME},
 * found with {@link java.util.ServiceLoader} only when {@code --engine} names it, so that the
 * streaming command never loads an engine's dependencies (module {@code reweigh-spark} provides
 * {@code spark}).
 */
public interface WeighEngine {

  /**
   * The only note of the summary of an input that exists but holds no candidate. Every engine
   * treats such an input (an empty or blank JSONL file, a Parquet file with no rows, a directory
   * with no data file) as legal: exit 0, an empty output, 0 candidates; an input that does not
   * exist is a usage error (docs/design.md §7.1).
   */
  String EMPTY_INPUT_NOTE = "the input has no candidates";

  /**
   * The value of {@code --engine} that selects this engine.
   *
   * @return the engine's name
   */
  String name();

  /**
   * Runs one {@code reweigh weigh} request.
   *
   * @param request the validated options
   * @param err where messages and, without {@code --summary}, the summary go
   * @return 0 on success, {@link ReweighCli#EXIT_INPUT} after printing a message naming the bad
   *     row and column when the input data is invalid
   * @throws IllegalArgumentException for a usage error (reported with exit code 2)
   * @throws IOException when reading or writing fails
   */
  int weigh(WeighRequest request, PrintWriter err) throws IOException;
}
