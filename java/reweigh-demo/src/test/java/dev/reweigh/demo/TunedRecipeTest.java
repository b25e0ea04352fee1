package dev.reweigh.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The committed tuned recipe is what its own record says was chosen: the grid is the full product
 * {@link Tuner} runs, each score is the mean of its dev accuracies, the chosen values are the
 * best-scoring entries under the stated rules (recomputed here from the recorded grid), it was
 * tuned for the default configuration, and the default and quick runs apply it and record it.
 */
class TunedRecipeTest {
  private final TunedRecipe recipe = TunedRecipe.load().orElseThrow(
      () -> new AssertionError("no " + TunedRecipe.RESOURCE + ": run `./reweigh demo --tune` and commit it"));

  @Test
  void sharedRecipeIsTheBestMeanOfSeedOnlyAndGoldRs() {
    List<Map<String, Object>> grid = rows("grid");
    assertEquals(Tuner.LRS.length * Tuner.EPOCHS.length, grid.size(), "the full lr x epochs grid");
    Map<String, Object> chosen = best(grid, List.of("seed-only", "gold-RS"));
    assertEquals(num(chosen.get("lr")), recipe.lr(), "lr");
    assertEquals(num(chosen.get("epochs")), recipe.epochs(), "epochs");
  }

  @Test
  void dpoBetaAndLrAreDpoSharpeningsBestWithTheChosenEpochs() {
    List<Map<String, Object>> grid = rows("dpoGrid");
    assertEquals(Tuner.DPO_BETAS.length * Tuner.DPO_LR_FACTORS.length, grid.size(), "the full beta x lr grid");
    for (Map<String, Object> row : grid) {
      assertEquals(recipe.epochs(), num(row.get("epochs")), "DPO runs use the chosen epochs");
    }
    Map<String, Object> chosen = best(grid, List.of("DPO-Sharp"));
    assertEquals(num(chosen.get("beta")), recipe.dpoBeta(), "beta");
    assertEquals(num(chosen.get("lr")), recipe.dpoLr(), "DPO lr");
  }

  /**
   * The first row whose mean dev accuracy over {@code methods} x seeds, recomputed here, is the
   * highest; also checks each row's recorded score against that mean.
   */
  private Map<String, Object> best(List<Map<String, Object>> grid, List<String> methods) {
    double best = -1;
    Map<String, Object> chosen = null;
    for (Map<String, Object> row : grid) {
      List<Double> acc = new ArrayList<>();
      for (String m : methods) {
        acc.addAll(numbers(row.get(m)));
      }
      assertEquals(methods.size() * seeds(), acc.size(), "methods x seeds in " + row);
      double mean = acc.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
      assertEquals(mean, num(row.get("score")), 1e-12, "score is the mean dev accuracy: " + row);
      if (mean > best + Tuner.TIE) {
        best = mean;
        chosen = row;
      }
    }
    return chosen;
  }

  @Test
  void defaultAndQuickRunsApplyAndRecordTheTunedRecipe() {
    DemoConfig standard = DemoConfig.standard();
    assertEquals(standard.tuneKey(), recipe.json().get("configKey"), "tuned for the default configuration");
    assertTrue(!String.valueOf(recipe.json().get("commit")).endsWith("+dirty"), "tuned at a committed state");
    assertEquals(recipe.lr(), standard.fineTuneLr);
    assertEquals(recipe.epochs(), standard.fineTuneEpochs);
    assertEquals(recipe.dpoBeta(), standard.dpoBeta);
    assertEquals(recipe.dpoLr(), standard.dpoLr);
    assertEquals(Boolean.TRUE, standard.recipe.get("matchesConfig"));
    DemoConfig quick = DemoConfig.quick();
    assertEquals(0.5, quick.fineTuneEpochs, "quick: half an epoch, its time budget");
    List<Map<String, Object>> half = new ArrayList<>();
    for (Map<String, Object> row : rows("grid")) {
      if (num(row.get("epochs")) == 0.5) {
        half.add(row);
      }
    }
    double quickLr = num(best(half, List.of("seed-only", "gold-RS")).get("lr"));
    assertEquals(quickLr, quick.fineTuneLr, "quick: the grid's best learning rate at half an epoch");
    assertEquals(quickLr, recipe.bestLr(0.5).getAsDouble());
    List<String> overridden = new ArrayList<>(List.of("epochs = 0.5 (quick preset: time budget)"));
    if (quickLr != recipe.lr()) {
      overridden.add("lr = " + quickLr + " (quick preset: the tuning grid's best at 0.5 epochs)");
    }
    assertEquals(overridden, quick.recipe.get("overridden"));
    @SuppressWarnings("unchecked")
    Map<String, Object> ft = (Map<String, Object>) standard.toMap().get("fineTune");
    assertEquals(standard.recipe, ft.get("recipe"), "report.json records the recipe and its tuning");
  }

  @Test
  void aRecipeWithoutAPositiveValueIsRejectedByName() {
    Map<String, Object> json = new HashMap<>(Map.of("lr", 1e-3, "epochs", 1.0, "dpoBeta", 10.0, "dpoLr", 1e-3));
    assertEquals(10.0, TunedRecipe.of(json).dpoBeta());
    json.put("epochs", 0.0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TunedRecipe.of(json));
    assertTrue(e.getMessage().contains("'epochs'"), e.getMessage());
    json.put("epochs", 1.0);
    json.remove("dpoLr");
    e = assertThrows(IllegalArgumentException.class, () -> TunedRecipe.of(json));
    assertTrue(e.getMessage().contains("'dpoLr'"), e.getMessage());
  }

  private int seeds() {
    return ((List<?>) recipe.json().get("seeds")).size();
  }

  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> rows(String key) {
    return (List<Map<String, Object>>) recipe.json().get(key);
  }

  private static List<Double> numbers(Object o) {
    List<Double> out = new ArrayList<>();
    for (Object x : (List<?>) o) {
      out.add(num(x));
    }
    return out;
  }

  private static double num(Object o) {
    return ((Number) o).doubleValue();
  }
}
