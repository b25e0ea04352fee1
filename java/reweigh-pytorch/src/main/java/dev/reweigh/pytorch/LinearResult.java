package dev.reweigh.pytorch;

import org.bytedeco.pytorch.Tensor;

/**
 * Output of a fused linear + cross-entropy pass: the objective {@code total = sum_s c_s loss_s /
 * D}, the per-sample statistics, the gradients of total with respect to hidden {@code [rows, H]}
 * (hidden's dtype), weight {@code [V, H]} and bias {@code [V]} (the head's dtype, or float32
 * under {@link GradAccumulation#FLOAT32}; null without a bias), and the rows per chunk used.
 *
 * @param total the objective, float64
 * @param stats the forward phase of the pass: per-sample statistics and per-row lse
 * @param gradHidden d total / d hidden
 * @param gradWeight d total / d weight
 * @param gradBias d total / d bias; null when the head has no bias
 * @param chunkRows rows per chunk
 * @param inWeightGrad whether {@code gradWeight} is a caller's tensor the pass added into (in
 *     {@code step} the weight's own {@code .grad}) rather than a fresh one
 */
public record LinearResult(double total, LinearForward stats, Tensor gradHidden,
    Tensor gradWeight, Tensor gradBias, long chunkRows, boolean inWeightGrad) {}
