package dev.reweigh.demo;

import static org.bytedeco.pytorch.global.torch.manual_seed;

import dev.reweigh.demo.model.CharTokenizer;
import dev.reweigh.demo.model.ModelConfig;
import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.demo.task.TrainingSplits;
import dev.reweigh.demo.train.Batcher;
import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.Trainer;
import dev.reweigh.demo.train.TrainingRun;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The base model of one seed: trained on the labelled seed set into the dev band by {@link
 * BandSearch} (the arithmetic is learnt late and at a seed-dependent step, so a fixed step count
 * gives a base anywhere in 0.25-0.50). Cached on disk by configuration, seed and libtorch thread
 * count, with the checkpoints the search measured.
 */
final class BaseModels {
  /** A base model with how it was reached. */
  record Base(TinyTransformer model, int steps, double devAccuracy, List<BandSearch.Checkpoint> checkpoints,
      int replays, double devSeconds, boolean cached, double seconds) {}

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
        Base b = fromMeta(model, Files.readAllLines(meta), (System.nanoTime() - t0) / 1e9);
        log.printf("base model (seed %d): loaded from %s%n", seed, file);
        return b;
      } catch (IOException | RuntimeException e) {
        log.printf("base model (seed %d): cache unreadable (%s), training again%n", seed, e.getMessage());
      }
    }
    List<Example> data = PoolSampler.examples(splits.seed());
    Trainer trainer = new Trainer(new Batcher(tokenizer, cfg.trainPrompt));
    BandSearch search = new BandSearch(cfg.bandLow, cfg.bandTarget, cfg.bandHigh, cfg.checkpointEvery,
        cfg.checkpointRefine);
    BandSearch.Result r;
    try (Progress pb = Progress.start(cfg.progress, "base model (seed " + seed + ")", cfg.baseMaxSteps);
        TrainingRun run = trainer.start(model, data, List.of(), null,
            new Trainer.Options(cfg.baseMaxSteps, cfg.batchSize, cfg.lr, cfg.weightDecay, seed))) {
      r = search.search(run, model, cfg.baseMaxSteps,
          () -> Evaluator.mean(evaluator.outcomes(model, splits.dev(), null)), pb.step(), c -> {
            pb.extra(String.format("dev %.3f", c.devAccuracy()));
            if (!cfg.progress) {
              log.printf("base model (seed %d): step %d, dev greedy accuracy %.3f, %.0f s%n", seed, c.step(),
                  c.devAccuracy(), (System.nanoTime() - t0) / 1e9);
            }
          });
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    log.printf("base model (seed %d): %d steps, dev greedy accuracy %.3f, %.0f s (%d dev evaluations, %.1f s;"
        + " %d replays); checkpoints %s%n", seed, r.step(), r.devAccuracy(), seconds, r.checkpoints().size(),
        r.devSeconds(), r.replays(), curveText(r.checkpoints()));
    if (file != null) {
      try {
        Files.createDirectories(file.getParent());
        model.save(file);
        Files.writeString(meta, r.step() + " " + r.devAccuracy() + " " + r.replays() + " " + r.devSeconds() + "\n"
            + curveText(r.checkpoints()) + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the base-model cache " + file, e);
      }
    }
    return new Base(model, r.step(), r.devAccuracy(), r.checkpoints(), r.replays(), r.devSeconds(), false, seconds);
  }

  /** A cached base: line 1 "steps devAccuracy replays devSeconds", line 2 the checkpoints. */
  private static Base fromMeta(TinyTransformer model, List<String> lines, double seconds) {
    String[] m = lines.get(0).trim().split(" ");
    List<BandSearch.Checkpoint> checkpoints = new ArrayList<>();
    for (String c : lines.get(1).trim().split(" ")) {
      String[] f = c.split("[:@]");
      checkpoints.add(new BandSearch.Checkpoint(Integer.parseInt(f[0]), Double.parseDouble(f[1]),
          Integer.parseInt(f[2])));
    }
    return new Base(model, Integer.parseInt(m[0]), Double.parseDouble(m[1]), checkpoints, Integer.parseInt(m[2]),
        Double.parseDouble(m[3]), true, seconds);
  }

  private Path cacheFile(long seed) {
    if (cfg.cacheDir == null) {
      return null;
    }
    try {
      byte[] h = java.security.MessageDigest.getInstance("SHA-256")
          .digest(cfg.baseKey().getBytes(StandardCharsets.UTF_8));
      // libtorch's kernels split their sums by thread, so the thread count changes the trained model.
      return Path.of(cfg.cacheDir).resolve("base-" + HexFormat.of().formatHex(h, 0, 8) + "-seed" + seed + "-threads"
          + cfg.threads + ".bin");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** "step:accuracy@spacing" per checkpoint, in the order measured. */
  private static String curveText(List<BandSearch.Checkpoint> checkpoints) {
    StringBuilder sb = new StringBuilder();
    for (BandSearch.Checkpoint c : checkpoints) {
      sb.append(String.format(Locale.ROOT, " %d:%.4f@%d", c.step(), c.devAccuracy(), c.spacing()));
    }
    return sb.toString().trim();
  }
}
