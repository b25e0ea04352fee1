package dev.reweigh.demo.methods;

import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.demo.task.Problem;
import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.LossStats;
import dev.reweigh.demo.train.Scorer;
import java.util.List;

/**
 * What a method sees in one round: the sampled pool, the model that sampled it (the round's base
 * model, pi_base), scorers over the response only and over the whole text, and IWSI's D_v.
 */
public record RoundInput(
    SampledPool pool, TinyTransformer model, Scorer responseScorer, Scorer wholeTextScorer,
    List<Problem> valid) {

  /** Statistics of the given (question, response) samples under the round's model. */
  public LossStats scoreResponses(List<Example> samples) {
    return responseScorer.score(model, samples);
  }
}
