package dev.reweigh.demo;

import dev.reweigh.demo.report.Charts;
import dev.reweigh.demo.report.DemoResult;
import dev.reweigh.demo.report.ReportJson;
import dev.reweigh.demo.report.Table;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reweigh demo}: self-improvement on a built-in arithmetic task with a tiny libtorch
 * transformer, Reweigh's fused weighted loss in the training path, and a table of accuracy per
 * method.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Self-improvement end to end on a built-in arithmetic word-problem task: train a tiny"
            + " causal transformer (libtorch) on a small labelled seed set, sample N answers per"
            + " unlabelled question, build each method's weighted training set (LMSI, IWSI,"
            + " IWSI-w, EAST, SFT/DPO-Sharpening, gold rejection sampling), fine-tune with"
            + " Reweigh's fused weighted loss and compare greedy test accuracy.")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--quick", description = "Small, one seed, one round (under 3 minutes on 2 cores).")
  boolean quick;

  @Option(names = "--seed", description = "First random seed (default: ${DEFAULT-VALUE}).")
  long seed = 7;

  @Option(names = "--seeds", description = "Number of seeds (default: 3, quick: 1).")
  Integer seeds;

  @Option(names = "--rounds", description = "Self-improvement rounds (default: 2, quick: 1).")
  Integer rounds;

  @Option(names = {"-n", "--samples"}, description = "Responses sampled per question (default: 8, quick: 4).")
  Integer samples;

  @Option(names = "--pool", description = "Unlabelled questions (default: 160, quick: 48).")
  Integer pool;

  @Option(names = "--base-steps", description = "Base-model training steps (default: 600, quick: 300).")
  Integer baseSteps;

  @Option(names = "--fine-tune-steps", description = "Fine-tuning steps per method and round (default: 60, quick: 24).")
  Integer fineTuneSteps;

  @Option(names = "--east-a", description = "EAST exponent a (default: ${DEFAULT-VALUE}).")
  double eastA = 1.0;

  @Option(names = "--iwsi-keep", description = "IWSI keep fraction k (default: ${DEFAULT-VALUE}).")
  double iwsiKeep = 0.8;

  @Option(names = "--dpo-beta", description = "DPO beta (default: ${DEFAULT-VALUE}).")
  double dpoBeta = 0.1;

  @Option(names = "--train-prompt", description = "Also train on the question tokens (default: response only).")
  boolean trainPrompt;

  @Option(names = "--threads", description = "libtorch intra-op threads (default: ${DEFAULT-VALUE}; the tiny model gains nothing from more).")
  int threads = 1;

  @Option(names = "--no-progress", negatable = false, description = "No progress bars.")
  boolean noProgress;

  @Option(names = "--out", paramLabel = "DIR", description = "Write report.json, accuracy.png and weights.png here.")
  Path out;

  /** The configuration these options describe. */
  public DemoConfig config() {
    DemoConfig c = quick ? DemoConfig.quick() : DemoConfig.standard();
    c.seed = seed;
    if (seeds != null) {
      c.seeds = seeds;
    }
    if (rounds != null) {
      c.rounds = rounds;
    }
    if (samples != null) {
      c.samplesPerQuestion = samples;
    }
    if (pool != null) {
      c.pool = pool;
    }
    if (baseSteps != null) {
      c.baseSteps = baseSteps;
    }
    if (fineTuneSteps != null) {
      c.fineTuneSteps = fineTuneSteps;
    }
    c.eastA = eastA;
    c.iwsiKeep = iwsiKeep;
    c.dpoBeta = dpoBeta;
    c.trainPrompt = trainPrompt;
    c.threads = threads;
    c.progress = !noProgress;
    if (c.seeds < 1 || c.rounds < 1 || c.samplesPerQuestion < 2 || c.pool < 1) {
      throw new IllegalArgumentException("--seeds, --rounds and --pool must be >= 1, --samples >= 2");
    }
    return c;
  }

  @Override
  public Integer call() throws Exception {
    System.setProperty("java.awt.headless", "true");
    DemoConfig c = config();
    PrintStream log = System.out;
    log.printf("reweigh demo (%s): %d seed(s) from %d, %d round(s), %d unlabelled questions x %d samples%n",
        c.quickPreset ? "quick" : "default", c.seeds, c.seed, c.rounds, c.pool, c.samplesPerQuestion);
    long t0 = System.nanoTime();
    DemoResult result = new DemoRunner(c, log).run();
    double wall = (System.nanoTime() - t0) / 1e9;
    log.println();
    log.print(Table.render(result));
    log.printf("wall time %.0f s%n", wall);
    if (out != null) {
      Files.createDirectories(out);
      Map<String, Object> report = ReportJson.build(result, wall);
      ReportJson.write(report, out.resolve("report.json"));
      Charts.accuracy(result, out.resolve("accuracy.png"));
      Charts.weights(result, out.resolve("weights.png"), List.of("IWSI-w", "EAST"));
      log.printf("wrote %s, %s, %s%n", out.resolve("report.json"), out.resolve("accuracy.png"),
          out.resolve("weights.png"));
    }
    return 0;
  }
}
