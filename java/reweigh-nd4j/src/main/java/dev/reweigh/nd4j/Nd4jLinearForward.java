package dev.reweigh.nd4j;

import dev.reweigh.LinearStats;
import dev.reweigh.LossSpec;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The first phase of a two-phase ND4J fused linear + cross-entropy ({@link
 * Nd4jFusedLinearLoss#forward}): the per-sample statistics ({@link LinearStats}, float64 sums)
 * and the per-row lse, FLOAT {@code [rows]} (0 on ignored rows), the only O(rows) state the
 * backward needs to recompute each chunk's gradient.
 */
public final class Nd4jLinearForward {
  final Nd4jLinearHead head;
  final LossSpec spec;
  final INDArray rowLse;
  final LinearStats stats;

  Nd4jLinearForward(Nd4jLinearHead head, LossSpec spec, INDArray rowLse, LinearStats stats) {
    this.head = head;
    this.spec = spec;
    this.rowLse = rowLse;
    this.stats = stats;
  }

  public LinearStats stats() {
    return stats;
  }

  /** Per-row lse, FLOAT {@code [rows]}. */
  public INDArray rowLse() {
    return rowLse;
  }
}
