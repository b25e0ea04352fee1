package dev.reweigh;

/**
 * The host side of an adapter's fused linear head (docs/design.md §6): dimensions and a host copy
 * of the targets and sample offsets, taken once (O(rows)) so that the normaliser and the per-row
 * coefficients are known before the first chunk. The PyTorch and ND4J heads extend it with their
 * arrays.
 */
public abstract class LinearHeadShape {
  private final long rows;
  private final long hiddenSize;
  private final long vocab;
  private final long[] targets;
  private final long[] offsets;

  /** Checks the offsets (0 = first <= ... <= last = rows); targets are checked per spec later. */
  protected LinearHeadShape(long hiddenSize, long vocab, long[] targets, long[] offsets) {
    this.rows = targets.length;
    this.hiddenSize = hiddenSize;
    this.vocab = vocab;
    this.targets = targets;
    this.offsets = offsets;
    LinearLabels.checkOffsets(offsets, rows);
  }

  public final long rows() {
    return rows;
  }

  public final long hiddenSize() {
    return hiddenSize;
  }

  public final long vocab() {
    return vocab;
  }

  public final long samples() {
    return offsets.length - 1;
  }

  /** Labels, counts and the normaliser's inputs under {@code spec} (targets range-checked). */
  public final LinearLabels labels(LossSpec spec) {
    return LinearLabels.of(targets, offsets, vocab, spec);
  }
}
