package dev.reweigh.demo;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The fine-tuning hyperparameters chosen once on the dev split by {@code reweigh demo --tune}
 * ({@link Tuner}) and committed as the resource {@value #RESOURCE}, which the default and quick
 * runs read. {@code json} is the whole file: the chosen values, the rule, the grid with its dev
 * accuracies, the seeds, the configuration key and the commit it ran at (recorded in report.json).
 *
 * @param lr peak learning rate of the recipe every method shares
 * @param epochs epochs over seed set + selected data, every method
 * @param dpoBeta beta of DPO-Sharpening's bounded squared loss (Eq. 8)
 * @param dpoLr peak learning rate of DPO-Sharpening
 */
public record TunedRecipe(double lr, double epochs, double dpoBeta, double dpoLr, Map<String, Object> json) {
  /** The committed resource the runs read. */
  public static final String RESOURCE = "/dev/reweigh/demo/tuned-recipe.json";
  /** Where {@code --tune} writes by default, relative to the repository root. */
  public static final Path SOURCE_FILE =
      Path.of("java", "reweigh-demo", "src", "main", "resources", "dev", "reweigh", "demo", "tuned-recipe.json");

  /** The recipe from its {@code json} form (the keys {@link Tuner} writes). */
  public static TunedRecipe of(Map<String, Object> json) {
    return new TunedRecipe(number(json, "lr"), number(json, "epochs"), number(json, "dpoBeta"),
        number(json, "dpoLr"), json);
  }

  /** The committed recipe, or empty when the resource is absent. */
  public static Optional<TunedRecipe> load() {
    try (InputStream in = TunedRecipe.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        return Optional.empty();
      }
      return Optional.of(of(new ObjectMapper().readValue(in, new TypeReference<Map<String, Object>>() {})));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  /**
   * The learning rate of the best-scoring grid row with {@code epochs} (ties: the earlier row), the
   * shared rule restricted to one epoch budget; empty when the grid has no such row.
   */
  public OptionalDouble bestLr(double epochs) {
    Object grid = json.get("grid");
    Map<?, ?> best = null;
    if (grid instanceof List<?> rows) {
      for (Object o : rows) {
        if (o instanceof Map<?, ?> row && ((Number) row.get("epochs")).doubleValue() == epochs
            && (best == null || score(row) > score(best) + Tuner.TIE)) {
          best = row;
        }
      }
    }
    return best == null ? OptionalDouble.empty() : OptionalDouble.of(((Number) best.get("lr")).doubleValue());
  }

  private static double score(Map<?, ?> row) {
    return ((Number) row.get("score")).doubleValue();
  }

  public void write(Path file) throws IOException {
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
  }

  private static double number(Map<String, Object> json, String key) {
    Object v = json.get(key);
    if (!(v instanceof Number n) || !(n.doubleValue() > 0) || !Double.isFinite(n.doubleValue())) {
      throw new IllegalArgumentException(RESOURCE + ": '" + key + "' must be a finite number > 0, got " + v);
    }
    return n.doubleValue();
  }
}
