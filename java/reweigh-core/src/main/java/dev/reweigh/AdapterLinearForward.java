package dev.reweigh;

/**
 * The first phase of a framework adapter's two-phase fused linear + cross-entropy
 * (reweigh-pytorch's {@code LinearForward}, reweigh-nd4j's {@code Nd4jLinearForward}, or your
 * own; docs/design.md §6): the per-sample statistics, readable here as a {@link LinearStats}, and
 * the per-row lse, float32 {@code [rows]} in the framework's memory (0 on ignored rows), the only
 * O(rows) state the backward needs to recompute each chunk's gradient, with the head and loss
 * options the backward runs on.
 *
 * @param <H> the adapter's head type
 * @param <A> the framework's array type (e.g. a libtorch {@code Tensor})
 */
public abstract class AdapterLinearForward<H, A> extends LinearStats {
  private final H head;
  private final LossSpec spec;
  private final LinearStats stats;
  private final A rowLse;

  /**
   * @param head the head the forward pass ran on
   * @param spec the loss options of the pass
   * @param stats the per-sample statistics of the pass
   * @param rowLse the per-row lse the pass wrote
   */
  protected AdapterLinearForward(H head, LossSpec spec, LinearStats stats, A rowLse) {
    super(stats);
    this.head = head;
    this.spec = spec;
    this.stats = stats;
    this.rowLse = rowLse;
  }

  /** @return the head the forward pass ran on (the backward recomputes its chunks from it) */
  public final H head() {
    return head;
  }

  /** @return the loss options of the pass */
  public final LossSpec spec() {
    return spec;
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
