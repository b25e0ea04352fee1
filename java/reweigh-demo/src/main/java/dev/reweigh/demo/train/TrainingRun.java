package dev.reweigh.demo.train;

import dev.reweigh.demo.model.TinyTransformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;

/**
 * One {@link Trainer} run, advanced step by step. Its whole state (the model's parameters,
 * AdamW's moments and step counts, the position in the shuffled data, the step of the schedule)
 * can be snapshot and restored, so a stretch of training can be replayed with checkpoints closer
 * together: the replay takes the same batches and the same updates as the first pass. Each epoch
 * visits the units in a fresh permutation drawn from one stream seeded by {@code Options.seed}.
 */
public final class TrainingRun implements AutoCloseable {
  /** The state after {@link #step()} steps; {@link #close()} frees its model copy. */
  public record Snapshot(int step, TinyTransformer model, byte[] optimizer, int epoch, int cursor)
      implements AutoCloseable {
    @Override
    public void close() {
      model.close();
    }
  }

  private final Trainer trainer;
  private final TinyTransformer model;
  private final List<Example> examples;
  private final List<Pair> pairs;
  private final Preference preference;
  private final Trainer.Options o;
  private final SplittableRandom rnd;
  /** Epoch e's visiting order, drawn in epoch order from {@link #rnd} (kept for replays). */
  private final List<int[]> orders = new ArrayList<>();
  private final AdamW optimizer;
  private final List<Double> objective = new ArrayList<>();
  private final int units;
  private final int warmup;
  private final int perBatch;
  private int step;
  private int epoch;
  private int cursor;

  TrainingRun(Trainer trainer, TinyTransformer model, List<Example> examples, List<Pair> pairs,
      Preference preference, Trainer.Options o) {
    this.trainer = trainer;
    this.model = model;
    this.examples = examples;
    this.pairs = pairs;
    this.preference = preference;
    this.o = o;
    this.rnd = new SplittableRandom(o.seed());
    this.units = examples.size() + pairs.size();
    this.warmup = Math.max(1, o.steps() / 20);
    this.perBatch = Math.min(o.batchSize(), units);
    AdamWOptions opts = new AdamWOptions(o.lr());
    opts.weight_decay().put(o.weightDecay());
    this.optimizer = new AdamW(model.parameters(), opts);
  }

  /** Optimizer steps done. */
  public int step() {
    return step;
  }

  /** The objective of every step done, in order. */
  public double[] objective() {
    return objective.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /**
   * Trains until {@code to} steps are done (at most {@code Options.steps}); leaves the model in
   * eval mode.
   *
   * @param progress called with 1 after each step (may be null)
   */
  @SuppressWarnings("try") // the scope is used for its side effect
  public void advance(int to, IntConsumer progress) {
    if (to < step || to > o.steps()) {
      throw new IllegalArgumentException("to: " + to + " outside [" + step + ", " + o.steps() + "]");
    }
    model.train(true);
    while (step < to) {
      List<Example> ex = new ArrayList<>(perBatch);
      List<Pair> pr = new ArrayList<>();
      for (int i = 0; i < perBatch; i++) {
        if (cursor == units) {
          epoch++;
          cursor = 0;
        }
        int u = order(epoch)[cursor++];
        if (u < examples.size()) {
          ex.add(examples.get(u));
        } else {
          pr.add(pairs.get(u - examples.size()));
        }
      }
      // Linear warm-up over the first 5% of the steps, then cosine decay to 10% of the peak.
      double frac = (double) step / o.steps();
      double lr = o.lr() * Math.min(1.0, (step + 1.0) / warmup)
          * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * frac)));
      optimizer.param_groups().get(0).options().set_lr(lr);
      try (PointerScope scope = new PointerScope()) {
        optimizer.zero_grad();
        objective.add(trainer.step(model, ex, pr, preference));
        optimizer.step();
      }
      step++;
      if (progress != null) {
        progress.accept(1);
      }
    }
    model.eval();
  }

  /** The state now. */
  public Snapshot snapshot() {
    Path f = tempFile();
    try (OutputArchive a = new OutputArchive()) {
      optimizer.save(a);
      a.save_to(f.toString());
      return new Snapshot(step, model.copy(), Files.readAllBytes(f), epoch, cursor);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the optimizer snapshot " + f, e);
    } finally {
      delete(f);
    }
  }

  /** Puts the run back to {@code s}, a snapshot of this run. */
  public void restore(Snapshot s) {
    if (s.step() > objective.size()) {
      throw new IllegalArgumentException("s: step " + s.step() + " is ahead of this run (" + step + ")");
    }
    Path f = tempFile();
    try (InputArchive a = new InputArchive()) {
      Files.write(f, s.optimizer());
      a.load_from(f.toString());
      optimizer.load(a);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the optimizer snapshot " + f, e);
    } finally {
      delete(f);
    }
    model.copyFrom(s.model());
    step = s.step();
    epoch = s.epoch();
    cursor = s.cursor();
    objective.subList(step, objective.size()).clear();
  }

  @Override
  public void close() {
    model.eval();
    optimizer.close();
  }

  private int[] order(int e) {
    while (orders.size() <= e) {
      orders.add(permutation(units, rnd));
    }
    return orders.get(e);
  }

  private static Path tempFile() {
    try {
      return Files.createTempFile("reweigh-demo-adamw", ".pt");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary file for the optimizer snapshot", e);
    }
  }

  private static void delete(Path f) {
    try {
      Files.deleteIfExists(f);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + f, e);
    }
  }

  /** Fisher-Yates from the last position down: position i takes a uniform pick of 0..i. */
  private static int[] permutation(int n, SplittableRandom rnd) {
    int[] p = IntStream.range(0, n).toArray();
    for (int i = n - 1; i > 0; i--) {
      swap(p, i, rnd.nextInt(i + 1));
    }
    return p;
  }

  private static void swap(int[] p, int i, int j) {
    int t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
}
