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
    if (shards == 1) {
      return FusedLoss.forwardBackward(data.batch, data.coefficients, data.spec, data.gradOut)
          .total();
    }
    long v = data.shape.vocab;
    RowPartials acc = ShardedLoss.partialForward(blocks[0], bounds[0], v, data.spec);
    for (int k = 1; k < shards; k++) {
      ShardedLoss.merge(acc, ShardedLoss.partialForward(blocks[k], bounds[k], v, data.spec));
    }
    LossResult r = ShardedLoss.stats(blocks[0], v, acc, data.coefficients, data.spec);
    for (int k = 0; k < shards; k++) {
      ShardedLoss.backward(blocks[k], bounds[k], v, acc, data.coefficients, data.spec, grads[k]);
    }
    return r.total();
  }
}
