package dev.reweigh.demo;

import dev.reweigh.demo.model.CharTokenizer;
import dev.reweigh.demo.model.ModelConfig;
import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.demo.task.TrainingSplits;
import dev.reweigh.demo.train.Batcher;
import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.Trainer;
import dev.reweigh.demo.train.TrainingRun;
import java.io.IOException;
import java.io.InputStream;
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
 * gives a base anywhere in 0.25-0.50). Cached on disk by configuration, seed and libtorch intra-op
 * thread count ({@link Workers#INTRA_OP_THREADS}), with the checkpoints the search measured. With
 * {@code cfg.bundledBase} (the quick preset) a cache miss is served from a base model shipped as a
 * resource ({@value #BUNDLED}), trained by this same code for this configuration; its dev accuracy
 * is measured again on this machine.
 */
final class BaseModels {
  /** Where bundled base models live: {@code base-<config hash>-seed<seed>.bin} and its {@code .txt}. */
  static final String BUNDLED = "/dev/reweigh/demo/bundled/";

  /**
   * A base model with how it was reached.
   *
   * @param source "trained", "cache" or "bundled"
   */
  record Base(TinyTransformer model, int steps, double devAccuracy, List<BandSearch.Checkpoint> checkpoints,
      int replays, double devSeconds, String source, double seconds) {}

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
    TinyTransformer model = TinyTransformer.seeded(
        new ModelConfig(tokenizer.vocabSize(), cfg.dim, cfg.heads, cfg.layers, cfg.maxLen), seed);
    Path file = cfg.cacheDir == null ? null
        : Path.of(cfg.cacheDir).resolve(name(cfg, seed) + "-threads" + Workers.INTRA_OP_THREADS + ".bin");
    Path meta = file == null ? null : file.resolveSibling(file.getFileName() + ".txt");
    if (file != null && Files.isRegularFile(file) && Files.isRegularFile(meta)) {
      try {
        model.load(file);
        Base b = fromMeta(model, Files.readAllLines(meta), "cache", (System.nanoTime() - t0) / 1e9);
        log.printf("base model (seed %d): loaded from %s%n", seed, file);
        return b;
      } catch (IOException | RuntimeException e) {
        log.printf("base model (seed %d): cache unreadable (%s), training again%n", seed, e.getMessage());
      }
    }
    if (cfg.bundledBase) {
      Base b = bundled(model, splits, seed, t0);
      if (b != null) {
        return b;
      }
    }
    Base b = train(model, splits, seed, t0);
    if (file != null) {
      try {
        Files.createDirectories(file.getParent());
        model.save(file);
        Files.writeString(meta, meta(b));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the base-model cache " + file, e);
      }
    }
    return b;
  }

  private Base train(TinyTransformer model, TrainingSplits splits, long seed, long t0) {
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
    return new Base(model, r.step(), r.devAccuracy(), r.checkpoints(), r.replays(), r.devSeconds(), "trained",
        seconds);
  }

  /** The bundled base of this configuration and seed, or null when none is shipped. */
  private Base bundled(TinyTransformer model, TrainingSplits splits, long seed, long t0) {
    String res = BUNDLED + name(cfg, seed) + ".bin";
    try (InputStream bin = BaseModels.class.getResourceAsStream(res);
        InputStream txt = BaseModels.class.getResourceAsStream(res + ".txt")) {
      if (bin == null || txt == null) {
        return null;
      }
      model.load(bin, res);
      Base shipped = fromMeta(model, new String(txt.readAllBytes(), StandardCharsets.UTF_8).lines().toList(),
          "bundled", 0);
      double dev = Evaluator.mean(evaluator.outcomes(model, splits.dev(), null));
      log.printf("base model (seed %d): bundled %s, %d steps, dev greedy accuracy %.3f here (%.3f when trained)%n",
          seed, res, shipped.steps(), dev, shipped.devAccuracy());
      return new Base(model, shipped.steps(), dev, shipped.checkpoints(), shipped.replays(), shipped.devSeconds(),
          "bundled", (System.nanoTime() - t0) / 1e9);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the bundled base model " + res, e);
    }
  }

  /** Line 1 "steps devAccuracy replays devSeconds", line 2 the checkpoints ({@link #curveText}). */
  private static String meta(Base b) {
    return b.steps() + " " + b.devAccuracy() + " " + b.replays() + " " + b.devSeconds() + "\n"
        + curveText(b.checkpoints()) + "\n";
  }

  private static Base fromMeta(TinyTransformer model, List<String> lines, String source, double seconds) {
    String[] m = lines.get(0).trim().split(" ");
    List<BandSearch.Checkpoint> checkpoints = new ArrayList<>();
    for (String c : lines.get(1).trim().split(" ")) {
      String[] f = c.split("[:@]");
      checkpoints.add(new BandSearch.Checkpoint(Integer.parseInt(f[0]), Double.parseDouble(f[1]),
          Integer.parseInt(f[2])));
    }
    return new Base(model, Integer.parseInt(m[0]), Double.parseDouble(m[1]), checkpoints, Integer.parseInt(m[2]),
        Double.parseDouble(m[3]), source, seconds);
  }

  /**
   * {@code base-<config hash>-seed<seed>}. The disk cache adds the intra-op thread count:
   * libtorch's kernels may split their sums by thread, so it can change the trained model.
   */
  static String name(DemoConfig cfg, long seed) {
    try {
      byte[] h = java.security.MessageDigest.getInstance("SHA-256")
          .digest(cfg.baseKey().getBytes(StandardCharsets.UTF_8));
      return "base-" + HexFormat.of().formatHex(h, 0, 8) + "-seed" + seed;
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
