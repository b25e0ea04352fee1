package dev.reweigh;

/**
 * Data-parallel training with the fused loss: every rank divides by the global normaliser D, the
 * sum of the ranks' own D (docs/design.md §7), so the ranks' gradients add up to the gradient of
 * the whole global batch. NONE and EXPLICIT normalisation are already global and pass through.
 */
public final class DataParallel {
  private DataParallel() {}

  /**
   * The options this rank runs with: {@code spec} with an explicit D equal to the SUM all-reduce
   * of every rank's {@link ShardedLoss#localNormalizer}. A global D of 0 (every rank's
   * micro-batch empty) is an IllegalArgumentException naming the normalisation.
   */
  public static LossSpec globalSpec(
      NativeBatch batch, long vocabTotal, float[] coefficients, LossSpec spec, AllReduce group) {
    if (group == null) {
      throw new IllegalArgumentException("group is null");
    }
    double local = ShardedLoss.localNormalizer(batch, vocabTotal, coefficients, spec);
    if (spec.normalization() == Normalization.NONE
        || spec.normalization() == Normalization.EXPLICIT) {
      return spec;
    }
    double[] d = {local};
    group.sumInPlace(d);
    if (d[0] == 0.0 || !Double.isFinite(d[0])) {
      throw new IllegalArgumentException("global normalizer D = " + d[0] + " under "
          + spec.normalization() + " must be finite and nonzero (every rank's batch is empty)");
    }
    return spec.toBuilder().normalizer(d[0]).build();
  }

  /** Same, for an unsharded batch (its vocab is the whole vocabulary). */
  public static LossSpec globalSpec(
      NativeBatch batch, float[] coefficients, LossSpec spec, AllReduce group) {
    if (batch == null) {
      throw new IllegalArgumentException("batch is null");
    }
    return globalSpec(batch, batch.vocab, coefficients, spec, group);
  }
}
