package dev.reweigh.demo.train;

/**
 * Per-sample statistics of one batch, as the fused kernel returns them.
 *
 * @param loss per-sample loss (mean or sum of token NLL over the scored tokens)
 * @param logProbSum per-sample sum of target log-probs, log pi(y|x) over the scored tokens
 * @param tokenCount per-sample number of scored tokens
 * @param meanEntropy per-sample mean predictive entropy (nats)
 */
public record LossStats(float[] loss, float[] logProbSum, long[] tokenCount, float[] meanEntropy) {
  public int samples() {
    return loss.length;
  }
}
