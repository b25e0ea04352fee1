package dev.reweigh.demo;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import dev.reweigh.demo.model.CharTokenizer;
import dev.reweigh.demo.model.ModelConfig;
import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.demo.task.TrainingSplits;
import dev.reweigh.demo.train.Batcher;
import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The base model of one seed: trained on the labelled seed set until the first checkpoint whose
 * greedy accuracy on the dev split reaches the band's target (the arithmetic is learnt late and at
 * a seed-dependent step, so a fixed step count gives a base anywhere in 0.25-0.50). When a
 * checkpoint jumps past the band, the last checkpoint inside it is restored. Cached on disk by
 * configuration and seed.
 */
final class BaseModels {
  /** A base model with how it was reached. */
  record Base(TinyTransformer model, int steps, double devAccuracy, List<double[]> curve,
      boolean cached, double seconds) {}

  private final DemoConfig cfg;
  private final CharTokenizer tokenizer;
  private final Evaluator evaluator;
  private final PrintStream log;

  BaseModels(DemoConfig cfg, CharTokenizer tokenizer, Evaluator evaluator, PrintStream log) {
    this.cfg = cfg;
    this.tokenizer = tokenizer;
    this.evaluator = evaluator;
    this.log = log;
  }

  Base get(TrainingSplits splits, long seed) {
    long t0 = System.nanoTime();
    manual_seed(seed);
    TinyTransformer model = new TinyTransformer(
        new ModelConfig(tokenizer.vocabSize(), cfg.dim, cfg.heads, cfg.layers, cfg.maxLen));
    Path file = cacheFile(seed);
    Path meta = file == null ? null : file.resolveSibling(file.getFileName() + ".txt");
    if (file != null && Files.isRegularFile(file) && Files.isRegularFile(meta)) {
      try {
        model.load(file);
        String[] m = Files.readString(meta).trim().split(" ");
        log.printf("base model (seed %d): loaded from %s%n", seed, file);
        return new Base(model, Integer.parseInt(m[0]), Double.parseDouble(m[1]), List.of(), true,
            (System.nanoTime() - t0) / 1e9);
      } catch (IOException | RuntimeException e) {
        log.printf("base model (seed %d): cache unreadable (%s), training again%n", seed, e.getMessage());
      }
    }
    List<Example> data = PoolSampler.examples(splits.seed());
    List<double[]> curve = new ArrayList<>();
    double[] last = {Double.NaN};
    int[] stoppedAt = {cfg.baseMaxSteps};
    // The last checkpoint inside the band: restored if training then jumps past the band.
    TinyTransformer[] inBand = {null};
    double[] inBandAcc = {Double.NaN};
    int[] inBandStep = {0};
    Trainer trainer = new Trainer(new Batcher(tokenizer, cfg.trainPrompt));
    int ran;
    try (Progress pb = Progress.start(cfg.progress, "base model (seed " + seed + ")", cfg.baseMaxSteps)) {
      ran = trainer.train(model, data, List.of(), null,
          new Trainer.Options(cfg.baseMaxSteps, cfg.batchSize, cfg.lr, cfg.weightDecay, seed),
          cfg.checkpointEvery, step -> {
            double acc = Evaluator.mean(evaluator.outcomes(model, splits.dev(), null));
            curve.add(new double[] {step, acc});
            last[0] = acc;
            stoppedAt[0] = step;
            pb.extra(String.format("dev %.3f", acc));
            if (!cfg.progress) {
              log.printf("base model (seed %d): step %d, dev greedy accuracy %.3f, %.0f s%n", seed, step, acc,
                  (System.nanoTime() - t0) / 1e9);
            }
            if (acc >= cfg.bandLow && acc <= cfg.bandHigh) {
              inBand[0] = model.copy();
              inBandAcc[0] = acc;
              inBandStep[0] = step;
            }
            return acc >= cfg.bandTarget;
          }, pb.step()).length;
    }
    if (ran == cfg.baseMaxSteps) {
      stoppedAt[0] = cfg.baseMaxSteps;
      last[0] = Evaluator.mean(evaluator.outcomes(model, splits.dev(), null));
      curve.add(new double[] {cfg.baseMaxSteps, last[0]});
    }
    if (!(last[0] >= cfg.bandLow && last[0] <= cfg.bandHigh) && inBand[0] != null) {
      model.copyFrom(inBand[0]);
      last[0] = inBandAcc[0];
      stoppedAt[0] = inBandStep[0];
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    log.printf("base model (seed %d): %d steps, dev greedy accuracy %.3f, %.0f s; dev curve %s%n",
        seed, stoppedAt[0], last[0], seconds, curveText(curve));
    if (file != null) {
      try {
        Files.createDirectories(file.getParent());
        model.save(file);
        Files.writeString(meta, stoppedAt[0] + " " + last[0] + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the base-model cache " + file, e);
      }
    }
    return new Base(model, stoppedAt[0], last[0], curve, false, seconds);
  }

  private Path cacheFile(long seed) {
    if (cfg.cacheDir == null) {
      return null;
    }
    try {
      byte[] h = java.security.MessageDigest.getInstance("SHA-256")
          .digest(cfg.baseKey().getBytes(StandardCharsets.UTF_8));
      return Path.of(cfg.cacheDir).resolve("base-" + HexFormat.of().formatHex(h, 0, 8) + "-seed" + seed + ".bin");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String curveText(List<double[]> curve) {
    StringBuilder sb = new StringBuilder();
    for (double[] c : curve) {
      sb.append(String.format(" %d:%.2f", (int) c[0], c[1]));
    }
    return sb.toString().trim();
  }
}
