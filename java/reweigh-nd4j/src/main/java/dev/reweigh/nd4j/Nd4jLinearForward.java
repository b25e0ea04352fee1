package dev.reweigh.nd4j;

import dev.reweigh.AdapterLinearForward;
import dev.reweigh.LinearStats;
import dev.reweigh.LossSpec;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The first phase of a two-phase ND4J fused linear + cross-entropy ({@link
 * Nd4jFusedLinearLoss#forward}): the per-sample statistics (float64 sums; {@link #stats()} or
 * read here) and the per-row lse, FLOAT {@code [rows]} (0 on ignored rows), the only O(rows)
 * state the backward needs to recompute each chunk's gradient.
 */
public final class Nd4jLinearForward extends AdapterLinearForward<Nd4jLinearHead, INDArray> {
  Nd4jLinearForward(Nd4jLinearHead head, LossSpec spec, INDArray rowLse, LinearStats stats) {
    super(head, spec, stats, rowLse);
  }
}
