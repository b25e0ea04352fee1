package dev.reweigh.demo;

import dev.reweigh.demo.report.Charts;
import dev.reweigh.demo.report.DemoResult;
import dev.reweigh.demo.report.ReportJson;
import dev.reweigh.demo.report.Table;
import dev.reweigh.demo.train.Preference;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reweigh demo}: self-improvement on a built-in arithmetic-chain task with a tiny libtorch
 * transformer, Reweigh's fused weighted loss in the training path (reweigh-pytorch), the papers'
 * preconditions measured as gates, and paired statistics per method and paper claim.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Self-improvement end to end on a built-in arithmetic-chain task: train a tiny causal"
            + " transformer (libtorch) on a labelled seed set until its dev accuracy reaches the"
            + " calibrated band, measure the papers' preconditions (gates), sample N answers per"
            + " unlabelled question, let each method (LMSI, IWSI, IWSI-w, EAST, SFT/DPO-Sharpening,"
            + " gold rejection sampling) select and weight its data, fine-tune from the base with"
            + " Reweigh's fused weighted loss for the same number of epochs, and compare greedy"
            + " test accuracy with paired bootstrap intervals and a verdict per paper claim.")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--quick", description = "One seed, 200 test questions, half an epoch of fine-tuning, from the bundled base model of seed 7 (the CI test; about 80 s of one core).")
  boolean quick;

  @Option(names = "--calibrate", description = "Train (or load) the base models, measure and print the gates, stop.")
  boolean calibrate;

  @Option(names = "--tune", description = "Choose the fine-tuning recipe (learning rate x epochs, shared by every method) and DPO-Sharpening's beta and learning rate on the dev split, write them to --tune-file, stop. The test split is never generated.")
  boolean tune;

  @Option(names = "--tune-file", paramLabel = "FILE", description = "Where --tune writes (default: the committed resource the runs read, ${DEFAULT-VALUE}, relative to the repository root).")
  Path tuneFile = TunedRecipe.SOURCE_FILE;

  @Option(names = "--seed", description = "First random seed (default: ${DEFAULT-VALUE}).")
  long seed = 7;

  @Option(names = "--seeds", description = "Number of seeds (default: 2, quick: 1).")
  Integer seeds;

  @Option(names = "--rounds", description = "Self-improvement rounds (default: 1); later rounds restart from the base on the union.")
  Integer rounds;

  @Option(names = {"-n", "--samples"}, description = "Responses sampled per question (default: 8).")
  Integer samples;

  @Option(names = "--pool", description = "Unlabelled questions (default: 320).")
  Integer pool;

  @Option(names = "--test", description = "Test questions per seed (default: 500, quick: 200).")
  Integer test;

  @Option(names = "--base-steps", description = "Most base-model training steps (default: 3000); training stops at the first checkpoint in the band.")
  Integer baseSteps;

  @Option(names = "--epochs", description = "Fine-tuning epochs over seed set + selected data, every method (default: 1).")
  Double epochs;

  @Option(names = "--lr", description = "Fine-tuning peak learning rate, every method but DPO-Sharpening (default: the tuned one).")
  Double lr;

  @Option(names = "--dpo-lr", description = "DPO-Sharpening's peak learning rate (default: the tuned one).")
  Double dpoLr;

  @Option(names = "--temperature", description = "Sampling temperature (default: 0.7).")
  Double temperature;

  @Option(names = "--east-a", description = "EAST exponent a (default: ${DEFAULT-VALUE}).")
  double eastA = 1.0;

  @Option(names = "--iwsi-keep", description = "IWSI keep fraction k (default: ${DEFAULT-VALUE}).")
  double iwsiKeep = 0.8;

  @Option(names = "--dpo-loss", description = "DPO-Sharpening objective: EQ8 (bounded squared loss) or SIGMOID (default: ${DEFAULT-VALUE}).")
  Preference.Kind dpoLoss = Preference.Kind.EQ8;

  @Option(names = "--dpo-beta", description = "DPO beta (default: 1 for EQ8, 0.1 for SIGMOID).")
  Double dpoBeta;

  @Option(names = "--train-prompt", description = "Also train on the question tokens (default: response only).")
  boolean trainPrompt;

  @Option(names = "--threads", description = "Worker threads: seeds and fine-tunes run side by side, each job on one"
      + " libtorch thread, so results do not depend on this (default: the number of cores, ${DEFAULT-VALUE})."
      + " Progress bars are drawn with --threads 1; with more, each job logs lines.")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--cache", paramLabel = "DIR", description = "Base-model cache (default: ~/.cache/reweigh/demo).")
  Path cache;

  @Option(names = "--no-cache", description = "Neither read nor write cached base models.")
  boolean noCache;

  @Option(names = "--no-bundled-base", description = "With --quick: train the base model on a cache miss instead of starting from the bundled one.")
  boolean noBundledBase;

  @Option(names = "--no-progress", negatable = false, description = "No progress bars.")
  boolean noProgress;

  @Option(names = "--out", paramLabel = "DIR", description = "Write report.json, accuracy.png, differences.png and weights.png here.")
  Path out;

  /** The configuration these options describe. */
  public DemoConfig config() {
    DemoConfig c = quick ? DemoConfig.quick() : DemoConfig.standard();
    c.seed = seed;
    set(seeds, v -> c.seeds = v);
    set(rounds, v -> c.rounds = v);
    set(samples, v -> c.samplesPerQuestion = v);
    set(pool, v -> c.pool = v);
    set(test, v -> c.test = v);
    set(baseSteps, v -> c.baseMaxSteps = v);
    set(temperature, v -> c.temperature = v);
    override(c, epochs, "epochs", "--epochs", v -> c.fineTuneEpochs = v);
    override(c, lr, "lr", "--lr", v -> c.fineTuneLr = v);
    override(c, dpoLr, "dpoLr", "--dpo-lr", v -> c.dpoLr = v);
    c.eastA = eastA;
    c.iwsiKeep = iwsiKeep;
    c.dpoLoss = dpoLoss;
    override(c, dpoBeta, "dpoBeta", "--dpo-beta", v -> c.dpoBeta = v);
    if (dpoBeta == null && dpoLoss != Preference.Kind.EQ8) {
      c.dpoBeta = 0.1; // the tuned beta is EQ8's; sigmoid DPO's common default
      c.overridden("dpoBeta = 0.1 (--dpo-loss " + dpoLoss + ", not tuned)");
    }
    c.trainPrompt = trainPrompt;
    c.threads = threads;
    c.progress = !noProgress && threads == 1;
    c.bundledBase = c.bundledBase && !noBundledBase;
    c.cacheDir = noCache ? null
        : (cache != null ? cache : Path.of(System.getProperty("user.home"), ".cache", "reweigh", "demo")).toString();
    if (c.seeds < 1 || c.rounds < 1 || c.samplesPerQuestion < 2 || c.pool < 1 || c.test < 1
        || c.baseMaxSteps < 1 || !(c.fineTuneEpochs > 0) || !(c.temperature > 0) || c.threads < 1
        || !(c.fineTuneLr > 0) || !(c.dpoLr > 0)) {
      throw new IllegalArgumentException("--seeds, --rounds, --pool, --test, --base-steps, --threads must be"
          + " >= 1, --samples >= 2, --epochs, --lr, --dpo-lr and --temperature > 0");
    }
    return c;
  }

  /** Sets a field from an option the command line gave. */
  private static <T> void set(T value, Consumer<T> field) {
    if (value != null) {
      field.accept(value);
    }
  }

  /** Sets a field of the tuned recipe from an option the command line gave, and records it. */
  private static <T> void override(DemoConfig c, T value, String name, String option, Consumer<T> field) {
    if (value != null) {
      field.accept(value);
      c.overridden(name + " = " + value + " (" + option + ")");
    }
  }

  @Override
  public Integer call() throws Exception {
    System.setProperty("java.awt.headless", "true");
    DemoConfig c = config();
    PrintStream log = System.out;
    log.printf(Locale.ROOT, "reweigh demo (%s%s): %d seed(s) from %d, %d round(s), %d unlabelled questions x %d"
            + " samples, %s%n", c.quickPreset ? "quick" : "default", tune ? ", tune" : calibrate ? ", calibrate" : "",
        c.seeds, c.seed, c.rounds, c.pool, c.samplesPerQuestion,
        tune ? c.dev + " dev questions (no test split)" : c.test + " test questions");
    long t0 = System.nanoTime();
    if (tune) {
      TunedRecipe t = new Tuner(c, log).tune(Commit.describe());
      t.write(tuneFile);
      log.printf(Locale.ROOT, "chosen on the dev split: lr %.0e, %.1f epochs; DPO-Sharpening beta %.0f, lr %.1e;"
          + " %.0f s; wrote %s%n", t.lr(), t.epochs(), t.dpoBeta(), t.dpoLr(), (System.nanoTime() - t0) / 1e9, tuneFile);
      return 0;
    }
    DemoResult result = new DemoRunner(c, log).run(calibrate);
    double wall = (System.nanoTime() - t0) / 1e9;
    log.println();
    log.print(calibrate ? Table.gates(result) : Table.render(result));
    log.printf(Locale.ROOT, "wall time %.0f s; phases (s): %s%n", wall, result.timings());
    if (out != null) {
      Files.createDirectories(out);
      Map<String, Object> report = ReportJson.build(result, wall);
      ReportJson.write(report, out.resolve("report.json"));
      if (!calibrate) {
        Charts.accuracy(result, out.resolve("accuracy.png"));
        Charts.differences(result, out.resolve("differences.png"));
        Charts.weights(result, out.resolve("weights.png"), List.of("IWSI-w", "EAST-maj", "EAST-gold"));
      }
      log.printf("wrote %s%n", out);
    }
    return 0;
  }
}
