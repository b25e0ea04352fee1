package dev.reweigh.demo;

import dev.reweigh.demo.task.ChainTask;
import dev.reweigh.demo.task.TrainingSplits;
import dev.reweigh.demo.train.Preference;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Every knob of a demo run. {@link #quick()} and {@link #standard()} are the two presets; the
 * command line overrides single fields. The task, the base-model recipe and the gates are
 * calibrated once (docs: README demo section); the method hyperparameters are the papers' defaults;
 * the fine-tuning recipe, the same for every method, and DPO-Sharpening's beta and learning rate
 * are the ones {@code --tune} chose on the dev split ({@link TunedRecipe}).
 */
public final class DemoConfig {
  // Task and data.
  public ChainTask.Shape shape = ChainTask.Shape.standard();
  public int seeds = 2;
  public long seed = 7;
  public int rounds = 1;
  public int seedSet = 4000;
  public int pool = 320;
  public double poolShifted = 0.25;
  public int dev = 200;
  public int valid = 48;
  public int test = 500;
  // Sampling.
  public int samplesPerQuestion = 16;
  public double temperature = 0.7;
  public int maxNew = 88;
  // Model.
  public int dim = 48;
  public int heads = 4;
  public int layers = 2;
  public int maxLen = 128;
  // Base model: trained into the dev band by BandSearch (checkpoints every checkpointEvery steps,
  // replayed checkpointRefine times closer after a jump past the band).
  public int baseMaxSteps = 3000;
  public int checkpointEvery = 100;
  /** A jump past the band replays the last stretch with checkpoints this many times closer. */
  public int checkpointRefine = 10;
  public double bandLow = 0.30;
  public double bandHigh = 0.50;
  /** Training goes on past bandLow until this dev accuracy (a base mid-band, not at its edge). */
  public double bandTarget = 0.38;
  public int batchSize = 32;
  public double lr = 5e-3;
  public double weightDecay = 0.01;
  // Fine-tuning: every method, from the base, the same epochs over seed set + its selected data.
  public double fineTuneEpochs = 1.0;
  public double fineTuneLr = 1e-3;
  /** Where the recipe came from, as report.json records it under config.fineTune.recipe. */
  public Map<String, Object> recipe = Map.of("source", "hand-picked (no " + TunedRecipe.RESOURCE + ")");
  public boolean trainPrompt = false;
  // Methods.
  public double iwsiKeep = 0.8;
  public double iwsiClip = 2.0;
  public boolean iwsiWholeText = true;
  public double eastA = 1.0;
  public Preference.Kind dpoLoss = Preference.Kind.EQ8;
  public double dpoBeta = 1.0;
  public double dpoLr = 1e-3;
  // Gates.
  public double passAtNMin = 0.75;
  public double majorityGainMin = 0.10;
  public double chainRightMin = 0.6;
  // Statistics and runtime.
  public int bootstrap = 2000;
  /** Worker threads for the demo's independent jobs ({@link Workers}); results do not depend on it. */
  public int threads = Runtime.getRuntime().availableProcessors();
  public boolean progress = true;
  public boolean quickPreset = false;
  public String cacheDir = null;
  /** On a cache miss, start from the base model shipped for this configuration and seed, if any. */
  public boolean bundledBase = false;

  /** The default run. */
  public static DemoConfig standard() {
    DemoConfig c = new DemoConfig();
    TunedRecipe.load().ifPresent(c::apply);
    return c;
  }

  /**
   * The quick run (the CI test): one seed, a smaller test set and half an epoch of fine-tuning
   * for every method (set by the time budget, not tuned), at the learning rate the tuning grid
   * scored best at half an epoch by the shared rule (DPO-Sharpening's rate and beta are kept). The
   * base-model recipe and the pool are the default's, so both share the cached base model and the
   * gates of a seed; on a cache miss it starts from the bundled base model of seed 7 ({@link
   * BaseModels#BUNDLED}): base training alone takes longer than the quick budget.
   */
  public static DemoConfig quick() {
    DemoConfig c = standard();
    c.quickPreset = true;
    c.bundledBase = true;
    c.seeds = 1;
    c.valid = 24;
    c.test = 200;
    c.fineTuneEpochs = 0.5;
    c.overridden("epochs = 0.5 (quick preset: time budget)");
    OptionalDouble lr = TunedRecipe.load().map(t -> t.bestLr(c.fineTuneEpochs)).orElse(OptionalDouble.empty());
    if (lr.isPresent() && lr.getAsDouble() != c.fineTuneLr) {
      c.fineTuneLr = lr.getAsDouble();
      c.overridden("lr = " + c.fineTuneLr + " (quick preset: the tuning grid's best at 0.5 epochs)");
    }
    return c;
  }

  /** Takes the tuned hyperparameters and records where they came from. */
  void apply(TunedRecipe t) {
    fineTuneLr = t.lr();
    fineTuneEpochs = t.epochs();
    dpoBeta = t.dpoBeta();
    dpoLr = t.dpoLr();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("source", "tuned on the dev split by `reweigh demo --tune` (" + TunedRecipe.RESOURCE + ")");
    r.put("matchesConfig", tuneKey().equals(t.json().get("configKey")));
    r.put("overridden", new ArrayList<String>());
    r.put("tuning", t.json());
    recipe = r;
  }

  /** Notes a recipe field the command line or a preset set after the tuned values were applied. */
  @SuppressWarnings("unchecked")
  void overridden(String what) {
    Object o = recipe.get("overridden");
    if (o instanceof List<?> l) {
      ((List<String>) l).add(what);
    }
  }

  /** The sizes of the splits a model may be fit or chosen on. */
  public TrainingSplits.Sizes trainingSizes() {
    return new TrainingSplits.Sizes(seedSet, pool, dev, valid, poolShifted);
  }

  /** What a tuned recipe depends on besides the seeds: the base model and the round-1 data. */
  public String tuneKey() {
    return String.join(",", baseKey(), "pool=" + pool, "shifted=" + poolShifted, "n=" + samplesPerQuestion,
        "T=" + temperature, "trainPrompt=" + trainPrompt, "wd=" + weightDecay);
  }

  /** The preference objective of DPO-Sharpening. */
  public Preference preference() {
    return new Preference(dpoLoss, dpoBeta);
  }

  /** What determines a base model (the cache key, with the seed and the thread count). */
  public String baseKey() {
    return String.join(",", shape.toString(), "seedSet=" + seedSet, "dim=" + dim, "heads=" + heads,
        "layers=" + layers, "maxLen=" + maxLen, "steps=" + baseMaxSteps, "every=" + checkpointEvery,
        "refine=" + checkpointRefine,
        "band=" + bandLow + "-" + bandHigh + "@" + bandTarget, "batch=" + batchSize, "lr=" + lr, "wd=" + weightDecay,
        "dev=" + dev, "maxNew=" + maxNew, "v3");
  }

  /** The configuration as it goes into report.json. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("preset", quickPreset ? "quick" : "default");
    m.put("task", Map.of("minSteps", shape.minSteps(), "maxSteps", shape.maxSteps(),
        "startMin", shape.startMin(), "startMax", shape.startMax(), "maxOperand", shape.maxOperand(),
        "shiftedSteps", shape.shiftedSteps(), "randomStepOrder", shape.randomOrder()));
    m.put("seed", seed);
    m.put("seeds", seeds);
    m.put("rounds", rounds);
    m.put("seedSet", seedSet);
    m.put("pool", pool);
    m.put("poolShiftedFraction", poolShifted);
    m.put("dev", dev);
    m.put("valid", valid);
    m.put("test", test);
    m.put("samplesPerQuestion", samplesPerQuestion);
    m.put("temperature", temperature);
    m.put("maxNewTokens", maxNew);
    m.put("model", Map.of("dim", dim, "heads", heads, "layers", layers, "maxLen", maxLen));
    m.put("base", Map.of("maxSteps", baseMaxSteps, "checkpointEvery", checkpointEvery,
        "checkpointRefine", checkpointRefine, "band", new double[] {bandLow, bandHigh}, "bandTarget", bandTarget, "batchSize", batchSize, "lr", lr,
        "weightDecay", weightDecay, "schedule", "warm-up 5%, cosine to 10% over maxSteps"));
    Map<String, Object> ft = new LinkedHashMap<>();
    ft.put("from", "the base model, every method and round (later rounds: seed set + union of selections)");
    ft.put("data", "seed set + the method's selected data");
    ft.put("epochs", fineTuneEpochs);
    ft.put("lr", fineTuneLr);
    ft.put("batchSize", batchSize);
    ft.put("trainPrompt", trainPrompt);
    ft.put("dpoLr", dpoLr);
    ft.put("recipe", recipe);
    m.put("fineTune", ft);
    Map<String, Object> methods = new LinkedHashMap<>();
    methods.put("iwsiKeep", iwsiKeep);
    methods.put("iwsiClip", iwsiClip);
    methods.put("iwsiSpan", iwsiWholeText ? "whole text" : "response");
    methods.put("eastA", eastA);
    methods.put("dpoLoss", dpoLoss.name());
    methods.put("dpoBeta", dpoBeta);
    m.put("methods", methods);
    m.put("bundledBase", bundledBase);
    m.put("bootstrap", bootstrap);
    m.put("threads", threads);
    m.put("intraOpThreads", Workers.INTRA_OP_THREADS);
    m.put("loss", "reweigh-pytorch TorchLoss.step / TorchLoss.forward (fused kernel, in-place gradient)");
    return m;
  }
}
