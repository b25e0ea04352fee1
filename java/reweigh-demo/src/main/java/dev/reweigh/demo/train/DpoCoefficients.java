package dev.reweigh.demo.train;

import dev.reweigh.weighting.Dpo;
import java.util.List;

/**
 * Sigmoid DPO (Rafailov et al. 2023, arXiv:2305.18290, Eq. 7) as per-sample coefficients on the
 * summed NLL (docs/methods.md §7), from {@link Dpo#sigmoid}. Batches hold (chosen, rejected)
 * pairs in adjacent slots; with {@code loss_s = -log pi(y_s)} (sum reduction) the coefficients are
 * {@code c_s = -dF/dlogProbSum_s}: positive on the chosen side, negative on the rejected one.
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
    int n = batch.size();
    double[] logProbSums = new double[n];
    double[] ref = new double[n];
    int[] chosen = new int[n / 2];
    int[] rejected = new int[n / 2];
    for (int i = 0; i < n; i++) {
      logProbSums[i] = stats.logProbSum()[i];
      ref[i] = batch.get(i).refLogProb();
    }
    for (int p = 0; p < n / 2; p++) {
      chosen[p] = 2 * p;
      rejected[p] = 2 * p + 1;
    }
    double[] c = Dpo.sigmoid(logProbSums, ref, chosen, rejected, beta).nllCoefficients();
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (2 * c[i]); // the kernel divides by B = 2 * pairs: this gives the mean over pairs
    }
    return out;
  }
}
