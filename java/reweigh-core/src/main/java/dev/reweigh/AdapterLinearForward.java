package dev.reweigh;

/**
 * The first phase of a framework adapter's two-phase fused linear + cross-entropy
 * (reweigh-pytorch's {@code LinearForward}, reweigh-nd4j's {@code Nd4jLinearForward}, or your
 * own; docs/design.md §6): the per-sample statistics, readable here as a {@link LinearStats}, and
 * the per-row lse, float32 {@code [rows]} in the framework's memory (0 on ignored rows), the only
 * O(rows) state the backward needs to recompute each chunk's gradient. A subclass keeps what its
 * backward needs besides (the head and the loss options).
 *
 * @param <A> the framework's array type (e.g. a libtorch {@code Tensor})
 */
public abstract class AdapterLinearForward<A> extends LinearStats {
  private final LinearStats stats;
  private final A rowLse;

  /**
   * @param stats the per-sample statistics of the forward pass
   * @param rowLse the per-row lse the pass wrote
   */
  protected AdapterLinearForward(LinearStats stats, A rowLse) {
    super(stats);
    this.stats = stats;
    this.rowLse = rowLse;
  }

  /**
   * The statistics alone, without the per-row state.
   *
   * @return the per-sample statistics
   */
  public final LinearStats stats() {
    return stats;
  }

  /**
   * The backward's input.
   *
   * @return per-row lse, float32 {@code [rows]} (0 on ignored rows)
   */
  public final A rowLse() {
    return rowLse;
  }
}
