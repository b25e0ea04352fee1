package dev.reweigh.nd4j;

import dev.reweigh.LinearStats;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Output of an ND4J fused linear + cross-entropy pass: the objective {@code total = sum_s c_s
 * loss_s / D}, the per-sample statistics, the gradients of total with respect to hidden {@code
 * [rows, H]}, weight {@code [V, H]} (the array passed to accumulate into, when one was) and bias
 * {@code [V]} (null without a bias), FLOAT, and the rows per chunk used.
 *
 * @param total the objective, float64
 * @param stats per-sample statistics
 * @param gradHidden d total / d hidden
 * @param gradWeight d total / d weight, added into the caller's array when one was passed
 * @param gradBias d total / d bias, or null
 * @param chunkRows rows per chunk
 */
public record Nd4jLinearResult(double total, LinearStats stats, INDArray gradHidden,
    INDArray gradWeight, INDArray gradBias, long chunkRows) {}
