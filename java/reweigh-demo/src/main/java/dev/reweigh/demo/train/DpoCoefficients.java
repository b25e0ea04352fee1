package dev.reweigh.demo.train;

import java.util.List;

/**
 * Sigmoid DPO (Rafailov et al. 2023, arXiv:2305.18290, Eq. 7) as per-sample coefficients on the
 * summed NLL (METHODS.md section 7). Batches hold (chosen, rejected) pairs in adjacent slots. With
 * {@code delta = beta * [(log pi(y_w) - log pi_ref(y_w)) - (log pi(y_l) - log pi_ref(y_l))]} the
 * pair loss is {@code -log sigmoid(delta)}; since {@code loss_s = -log pi(y_s)} (sum reduction),
 * {@code dL/dloss_w = beta * sigmoid(-delta)} and {@code dL/dloss_l = -beta * sigmoid(-delta)}.
 * The objective is normalised by B (samples), so coefficients are doubled to give the mean over
 * pairs.
 */
public final class DpoCoefficients implements Coefficients {
  private final List<Example> batch;
  private final double beta;

  public DpoCoefficients(List<Example> batch, double beta) {
    if (batch.size() % 2 != 0) {
      throw new IllegalArgumentException("batch: DPO needs (chosen, rejected) pairs, got " + batch.size());
    }
    this.batch = batch;
    this.beta = beta;
  }

  @Override
  public boolean needsStats() {
    return true;
  }

  @Override
  public float[] of(LossStats stats) {
    float[] c = new float[batch.size()];
    for (int i = 0; i < c.length; i += 2) {
      double chosen = stats.logProbSum()[i] - batch.get(i).refLogProb();
      double rejected = stats.logProbSum()[i + 1] - batch.get(i + 1).refLogProb();
      double delta = beta * (chosen - rejected);
      double g = beta / (1.0 + Math.exp(delta)); // beta * sigmoid(-delta)
      c[i] = (float) (2 * g);
      c[i + 1] = (float) (-2 * g);
    }
    return c;
  }
}
