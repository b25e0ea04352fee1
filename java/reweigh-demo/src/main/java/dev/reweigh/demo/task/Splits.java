package dev.reweigh.demo.task;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The demo's data: a labelled seed set, a larger unlabelled pool (with a shifted slice), a
 * labelled dev split (base-model stopping and hyperparameter choice; never the test set), a small
 * in-distribution validation set (IWSI's D_v) and a held-out in-distribution test set. Each split
 * is drawn from its own random stream, so changing one size does not change the others.
 */
public record Splits(
    List<Problem> seed, List<Problem> pool, List<Problem> dev, List<Problem> valid, List<Problem> test) {

  /** Split sizes and the shifted fraction of the pool. */
  public record Sizes(int seed, int pool, int dev, int valid, int test, double poolShiftedFraction) {}

  public static Splits generate(ChainTask task, Sizes sizes, long seed) {
    SplittableRandom root = new SplittableRandom(seed);
    SplittableRandom seedRnd = root.split();
    SplittableRandom poolRnd = root.split();
    SplittableRandom validRnd = root.split();
    SplittableRandom testRnd = root.split();
    SplittableRandom devRnd = root.split();
    return new Splits(
        task.generate(seedRnd, sizes.seed(), 0.0),
        task.generate(poolRnd, sizes.pool(), sizes.poolShiftedFraction()),
        task.generate(devRnd, sizes.dev(), 0.0),
        task.generate(validRnd, sizes.valid(), 0.0),
        task.generate(testRnd, sizes.test(), 0.0));
  }
}
