package dev.reweigh.cli;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The options of one {@code reweigh weigh} run, as handed to a {@link WeighEngine}: the method's
 * parameters with every default resolved (the same map the summary prints, e.g. {@code
 * keep_fraction}, {@code valid_mean_loss}, {@code strategy}, {@code temperature}, {@code
 * batch_size}).
 *
 * @param method the method name as on the command line ({@code iwsi}, {@code kl-dro}, ...)
 * @param parameters the method's resolved parameters (snake_case keys)
 * @param input the input path
 * @param output the output path
 * @param format {@code --format}, or {@code null} to decide by the input's extension
 * @param master {@code --master}, or {@code null} for the engine's default
 * @param summaryFile {@code --summary}, or {@code null} for the error stream
 */
public record WeighRequest(
    String method,
    Map<String, Object> parameters,
    String input,
    String output,
    String format,
    String master,
    Path summaryFile) {

  /** Copies the parameter map, keeping its order. */
  public WeighRequest {
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
  }
}
