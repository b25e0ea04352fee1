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
