package dev.reweigh.demo.train;

/**
 * The preference objective for {@link Pair}s (docs/methods.md §4): the bounded squared loss
 * of Huang et al. Eq. 8 ({@code dev.reweigh.weighting.Dpo#squaredLoss}) or sigmoid DPO ({@code
 * Dpo#sigmoid}), with its beta.
 */
public record Preference(Kind kind, double beta) {
  /** Which DPO objective. */
  public enum Kind {
    EQ8,
    SIGMOID
  }

  public Preference {
    if (!(beta > 0) || !Double.isFinite(beta)) {
      throw new IllegalArgumentException("beta: must be finite and > 0, got " + beta);
    }
  }
}
