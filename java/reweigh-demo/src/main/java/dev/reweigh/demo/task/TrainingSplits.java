package dev.reweigh.demo.task;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Every split a model may be fit on or chosen on: the labelled seed set, the unlabelled pool (with
 * its shifted slice), the labelled dev split (base-model stopping and hyperparameter choice) and
 * IWSI's in-distribution D_v. The test split is not part of it: {@link Splits} adds it, so code
 * that is handed only these splits (the base models, the hyperparameter tuning) cannot reach a
 * test question.
 */
public record TrainingSplits(List<Problem> seed, List<Problem> pool, List<Problem> dev, List<Problem> valid) {

  /** Split sizes and the shifted fraction of the pool. */
  public record Sizes(int seed, int pool, int dev, int valid, double poolShiftedFraction) {}

  /**
   * Each split is drawn from its own stream, {@code new SplittableRandom(seed).split()} taken in
   * the order seed, pool, valid, test, dev, so changing one size does not change the others. The
   * fourth stream belongs to the test split ({@link Splits#generate}); it is split off here only to
   * reach the dev stream, and never drawn from.
   */
  public static TrainingSplits generate(ChainTask task, Sizes sizes, long seed) {
    SplittableRandom root = new SplittableRandom(seed);
    SplittableRandom seedRnd = root.split();
    SplittableRandom poolRnd = root.split();
    SplittableRandom validRnd = root.split();
    root.split();
    SplittableRandom devRnd = root.split();
    return new TrainingSplits(
        task.generate(seedRnd, sizes.seed(), 0.0),
        task.generate(poolRnd, sizes.pool(), sizes.poolShiftedFraction()),
        task.generate(devRnd, sizes.dev(), 0.0),
        task.generate(validRnd, sizes.valid(), 0.0));
  }
}
