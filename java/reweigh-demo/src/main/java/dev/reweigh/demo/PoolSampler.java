package dev.reweigh.demo;

import dev.reweigh.demo.methods.RoundInput;
import dev.reweigh.demo.methods.SampledPool;
import dev.reweigh.demo.model.CharTokenizer;
import dev.reweigh.demo.model.Sampler;
import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.demo.task.Problem;
import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.Scorer;
import java.util.ArrayList;
import java.util.List;

/**
 * What a method selects from in a round: n responses per unlabelled question sampled from a
 * model, then the pool and IWSI's D_v scored once under the same model (one {@code
 * TorchLoss.forward} pass each).
 */
final class PoolSampler {
  private final DemoConfig cfg;
  private final CharTokenizer tokenizer;
  private final Scorer scorer;
  private final Phases phases;

  PoolSampler(DemoConfig cfg, CharTokenizer tokenizer, Phases phases) {
    this.cfg = cfg;
    this.tokenizer = tokenizer;
    this.scorer = new Scorer(tokenizer, 64);
    this.phases = phases;
  }

  /** {@code cfg.samplesPerQuestion} responses per question at {@code cfg.temperature}. */
  SampledPool sample(TinyTransformer model, List<Problem> questions, long seed, int round, String who) {
    long t0 = System.nanoTime();
    List<String> prompts = new ArrayList<>(questions.size() * cfg.samplesPerQuestion);
    for (Problem p : questions) {
      for (int i = 0; i < cfg.samplesPerQuestion; i++) {
        prompts.add(p.prompt());
      }
    }
    List<String> out;
    try (Progress pb = Progress.start(cfg.progress, String.format("round %d sample (%s)", round, who), prompts.size())) {
      out = new Sampler(tokenizer, 128).generate(model, prompts, cfg.temperature, cfg.maxNew,
          seed * 1_000_003L + round, pb.step());
    }
    phases.add("sampling", t0);
    return new SampledPool(questions, cfg.samplesPerQuestion, out);
  }

  /** The pool and D_v ({@code valid}) scored once under {@code model}. */
  RoundInput scored(SampledPool pool, TinyTransformer model, List<Problem> valid) {
    long t0 = System.nanoTime();
    List<Example> texts = new ArrayList<>(pool.size());
    for (int q = 0; q < pool.questions(); q++) {
      for (int i = 0; i < pool.n(); i++) {
        texts.add(new Example(pool.question(q).prompt(), pool.response(q, i), 1.0));
      }
    }
    List<Example> v = new ArrayList<>();
    for (Problem p : valid) {
      v.add(new Example(p.prompt(), p.response(), 1.0));
    }
    RoundInput in = new RoundInput(pool, scorer.score(model, texts), scorer.score(model, v));
    phases.add("scoring", t0);
    return in;
  }

  /** The labelled problems as weight-1 training examples. */
  static List<Example> examples(List<Problem> problems) {
    List<Example> out = new ArrayList<>(problems.size());
    for (Problem p : problems) {
      out.add(new Example(p.prompt(), p.response(), 1.0));
    }
    return out;
  }
}
