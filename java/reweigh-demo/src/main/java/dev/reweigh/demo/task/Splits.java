package dev.reweigh.demo.task;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The demo's data: the {@link TrainingSplits} (seed set, unlabelled pool, dev split, IWSI's D_v)
 * and a held-out in-distribution test set, used only to score the finished models.
 */
public record Splits(TrainingSplits training, List<Problem> test) {

  /** The training splits of {@code seed} and {@code test} test questions from the fourth stream. */
  public static Splits generate(ChainTask task, TrainingSplits.Sizes sizes, int test, long seed) {
    SplittableRandom root = new SplittableRandom(seed);
    root.split();
    root.split();
    root.split();
    SplittableRandom testRnd = root.split();
    return new Splits(TrainingSplits.generate(task, sizes, seed), task.generate(testRnd, test, 0.0));
  }

  public List<Problem> seed() {
    return training.seed();
  }

  public List<Problem> pool() {
    return training.pool();
  }

  public List<Problem> dev() {
    return training.dev();
  }

  public List<Problem> valid() {
    return training.valid();
  }
}
