package dev.reweigh.nd4j;

/**
 * The objective {@code sum_s c_s loss_s / D} and the statistics.
 *
 * @param total the objective, accumulated in float64; 0 when D = 0
 * @param stats the per-sample and per-row statistics of the same call
 */
public record Nd4jResult(double total, Nd4jStats stats) {}
