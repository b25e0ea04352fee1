package dev.reweigh.bench;

import dev.reweigh.FusedLoss;
import dev.reweigh.IndexType;
import dev.reweigh.LossResult;
import dev.reweigh.NativeBatch;
import dev.reweigh.NativeGrad;
import dev.reweigh.RowPartials;
import dev.reweigh.ShardedLoss;

/**
 * One weighted forward + backward over {@link BenchData}'s [rows, V] logits as K column blocks:
 * partial forward per block, pairwise merge, statistics, sharded backward per block, gradient into
 * the separate buffer. K = 1 is the unsharded {@link FusedLoss#forwardBackward}.
 */
final class ShardedBlocks {
  private final BenchData data;
  private final int shards;
  private final NativeBatch[] blocks;
  private final NativeGrad[] grads;
  private final long[] bounds;

  ShardedBlocks(BenchData data, int shards) {
    this.data = data;
    this.shards = shards;
    int v = data.shape.vocab;
    bounds = new long[shards + 1];
    for (int k = 0; k <= shards; k++) {
      bounds[k] = (long) v * k / shards;
    }
    blocks = new NativeBatch[shards];
    grads = new NativeGrad[shards];
    long elem = data.elementSize();
    for (int k = 0; k < shards; k++) {
      blocks[k] = NativeBatch.builder()
          .logits(data.batch.logitsAddress() + bounds[k] * elem, data.dtype, data.shape.rows,
              bounds[k + 1] - bounds[k])
          .rowStride(v)
          .targets(data.targets.address(), IndexType.I32)
          .offsets(data.offsets.address(), IndexType.I32, data.samples)
          .build();
      grads[k] = NativeGrad.ofAddress(data.grad.address() + bounds[k] * elem, v);
    }
  }

  double forwardBackward() {
    return forwardBackward(null);
  }

  /**
   * The forward + backward; with {@code phases} non-null, adds the seconds of its three phases
   * into {@code phases[0..2]}: the blocks' partial forwards, the merges and statistics, the
   * blocks' backwards (K = 1: the whole call into {@code phases[0]}).
   */
  double forwardBackward(double[] phases) {
    long t0 = System.nanoTime();
    if (shards == 1) {
      double total = FusedLoss.forwardBackward(data.batch, data.coefficients, data.spec,
          data.gradOut).total();
      add(phases, 0, t0, System.nanoTime());
      return total;
    }
    long v = data.shape.vocab;
    RowPartials[] p = new RowPartials[shards];
    for (int k = 0; k < shards; k++) {
      p[k] = ShardedLoss.partialForward(blocks[k], bounds[k], v, data.spec);
    }
    long t1 = System.nanoTime();
    for (int k = 1; k < shards; k++) {
      ShardedLoss.merge(p[0], p[k]);
    }
    LossResult r = ShardedLoss.stats(blocks[0], v, p[0], data.coefficients, data.spec);
    long t2 = System.nanoTime();
    for (int k = 0; k < shards; k++) {
      ShardedLoss.backward(blocks[k], bounds[k], v, p[0], data.coefficients, data.spec,
          grads[k]);
    }
    long t3 = System.nanoTime();
    add(phases, 0, t0, t1);
    add(phases, 1, t1, t2);
    add(phases, 2, t2, t3);
    return r.total();
  }

  private static void add(double[] phases, int i, long from, long to) {
    if (phases != null) {
      phases[i] += (to - from) / 1e9;
    }
  }
}
