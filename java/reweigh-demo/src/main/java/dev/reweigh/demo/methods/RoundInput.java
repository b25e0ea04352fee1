package dev.reweigh.demo.methods;

import dev.reweigh.demo.train.Scorer;

/**
 * What a method sees in one round: the sampled pool, its scores under the model that sampled it
 * (pi_base of the round; one forward pass over the pool), and IWSI's D_v scored by the same model.
 */
public record RoundInput(SampledPool pool, Scorer.Scores scores, Scorer.Scores valid) {
  /** Flat index of response i of question q in {@link #scores}. */
  public int index(int q, int i) {
    return q * pool.n() + i;
  }
}
