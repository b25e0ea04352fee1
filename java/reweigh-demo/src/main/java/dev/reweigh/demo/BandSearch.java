package dev.reweigh.demo;

import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.demo.train.TrainingRun;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.IntConsumer;

/**
 * Trains a base model into the dev band [low, high]. A checkpoint every {@code every} steps
 * measures the greedy dev accuracy; training stops at the first checkpoint in [target, high].
 * The arithmetic is learnt abruptly (one seed went from dev 0.19 to 0.52 within 100 steps), so
 * checkpoints a fixed distance apart can step over the band: when a checkpoint lands above
 * {@code high}, the run goes back to the previous checkpoint (parameters, AdamW state, position in
 * the data: {@link TrainingRun#restore}) and replays the same steps with checkpoints {@code
 * refine} times closer together, down to every step. The replay takes the same batches and
 * updates, so the checkpoint found is one the first pass went through, and the search is a
 * function of the seed. Only when a single step jumps past the band does the search give up: it
 * keeps the last checkpoint inside the band, or else the one above it (the band gate then fails).
 */
final class BandSearch {
  /** One dev evaluation: the step, the accuracy, the checkpoint spacing it was reached with. */
  record Checkpoint(int step, double devAccuracy, int spacing) {}

  /** Where the search stopped (the model is left there) and every checkpoint it measured. */
  record Result(int step, double devAccuracy, List<Checkpoint> checkpoints, int replays, double devSeconds) {}

  private final double low;
  private final double target;
  private final double high;
  private final int every;
  private final int refine;

  BandSearch(double low, double target, double high, int every, int refine) {
    if (!(low <= target && target <= high)) {
      throw new IllegalArgumentException("target: " + target + " outside the band [" + low + ", " + high + "]");
    }
    if (every < 1 || refine < 2) {
      throw new IllegalArgumentException("every, refine: " + every + ", " + refine + " (need >= 1, >= 2)");
    }
    this.low = low;
    this.target = target;
    this.high = high;
    this.every = every;
    this.refine = refine;
  }

  /**
   * @param run a fresh run training {@code model} in place; its schedule spans the most steps
   * @param maxSteps the most steps (the last checkpoint)
   * @param dev greedy dev accuracy of {@code model} as it is now
   * @param onCheckpoint told of every checkpoint as it is measured
   */
  Result search(TrainingRun run, TinyTransformer model, int maxSteps, DoubleSupplier dev, IntConsumer progress,
      Consumer<Checkpoint> onCheckpoint) {
    List<Checkpoint> checkpoints = new ArrayList<>();
    TrainingRun.Snapshot previous = run.snapshot();
    TinyTransformer inBand = null;
    Checkpoint inBandAt = null;
    Checkpoint last = null;
    int spacing = every;
    int replays = 0;
    double devSeconds = 0;
    try {
      while (run.step() < maxSteps) {
        run.advance(Math.min(maxSteps, run.step() + spacing), progress);
        long t0 = System.nanoTime();
        double acc = dev.getAsDouble();
        devSeconds += (System.nanoTime() - t0) / 1e9;
        last = new Checkpoint(run.step(), acc, spacing);
        checkpoints.add(last);
        onCheckpoint.accept(last);
        if (acc >= low && acc <= high) {
          if (inBand != null) {
            inBand.close();
          }
          inBand = model.copy();
          inBandAt = last;
          if (acc >= target) {
            break;
          }
        } else if (acc > high) {
          if (spacing == 1) {
            break;
          }
          run.restore(previous);
          spacing = Math.max(1, spacing / refine);
          replays++;
          continue;
        }
        previous.close();
        previous = run.snapshot();
      }
      if (last != null && !(last.devAccuracy() >= low && last.devAccuracy() <= high) && inBand != null) {
        model.copyFrom(inBand);
        last = inBandAt;
      }
    } finally {
      previous.close();
      if (inBand != null) {
        inBand.close();
      }
    }
    if (last == null) {
      throw new IllegalArgumentException("maxSteps: " + maxSteps + " (need >= 1)");
    }
    return new Result(last.step(), last.devAccuracy(), checkpoints, replays, devSeconds);
  }
}
