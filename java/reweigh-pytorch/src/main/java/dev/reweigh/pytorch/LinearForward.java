package dev.reweigh.pytorch;

import dev.reweigh.AdapterLinearForward;
import dev.reweigh.LinearStats;
import dev.reweigh.LossSpec;
import org.bytedeco.pytorch.Tensor;

/**
 * The first phase of a two-phase fused linear + cross-entropy ({@link
 * FusedLinearLoss#forward}): per-sample statistics on the host and per-row lse {@code [rows]}
 * (float32, on the head's device), the only O(rows) state the backward needs to recompute each
 * chunk's gradient. Per sample s: {@code loss(s)} (MEAN or SUM of the row losses), {@code
 * logProbSum(s)}, {@code tokenCount(s)}, {@code meanEntropy(s)}; 0 for a sample with no counted
 * row. Sums run in float64.
 */
public final class LinearForward extends AdapterLinearForward<LinearHead, Tensor> {
  LinearForward(LinearHead head, LossSpec spec, Tensor rowLse, LinearStats stats) {
    super(head, spec, stats, rowLse);
  }
}
