package dev.reweigh;

/**
 * A batch held in a framework's arrays (reweigh-pytorch's {@code TorchBatch}, reweigh-nd4j's
 * {@code Nd4jBatch}, or your own): the logits, targets and sample offsets, and the {@link
 * NativeBatch} that describes them to the kernels without a copy (docs/design.md §3: row r
 * predicts {@code targets[r]}, sample s owns rows {@code [offsets[s], offsets[s+1])}). A subclass
 * checks its framework's layouts and builds the description; the arrays and the shape getters
 * are written once here (docs/design.md §4). The arrays must stay alive and unmodified in shape
 * while the batch is used; the batch holds references to them.
 *
 * @param <A> the framework's array type (e.g. a libtorch {@code Tensor})
 */
public abstract class AdapterBatch<A> {
  private final A logits;
  private final A targets;
  private final A offsets;
  private final NativeBatch nativeBatch;

  /**
   * @param logits the logits the description points into
   * @param targets the index array the kernels read (for a causal batch: the shifted copy)
   * @param offsets the sample offsets {@code [samples + 1]}
   * @param nativeBatch the description of the three arrays
   */
  protected AdapterBatch(A logits, A targets, A offsets, NativeBatch nativeBatch) {
    this.logits = logits;
    this.targets = targets;
    this.offsets = offsets;
    this.nativeBatch = nativeBatch;
  }

  /** The logits {@code [rows, V]} or {@code [B, T, V]}, read in place by the kernels. */
  public A logits() {
    return logits;
  }

  /** The targets the kernels read (for a causal batch: the shifted copy). */
  public A targets() {
    return targets;
  }

  /** The sample offsets {@code [samples + 1]}. */
  public A offsets() {
    return offsets;
  }

  /** Rows of the logits: B*T for {@code [B, T, V]}. */
  public long rows() {
    return nativeBatch.rows();
  }

  /** V, the last dimension of the logits. */
  public long vocab() {
    return nativeBatch.vocab();
  }

  /** The sample count: the length of {@link #offsets()} minus one. */
  public long samples() {
    return nativeBatch.samples();
  }

  /** Elements between consecutive rows of the logits. */
  public long rowStride() {
    return nativeBatch.rowStride();
  }

  /** The logits' element type. */
  public DType dtype() {
    return nativeBatch.dtype();
  }

  /** Where the arrays live; the kernels run there. */
  public Device device() {
    return nativeBatch.device();
  }

  /** The core description of this batch (raw addresses; valid while this object is reachable). */
  public NativeBatch nativeBatch() {
    return nativeBatch;
  }
}
