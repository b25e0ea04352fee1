package dev.reweigh.demo;

import dev.reweigh.demo.model.CharTokenizer;
import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.demo.train.Batcher;
import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.Pair;
import dev.reweigh.demo.train.Preference;
import dev.reweigh.demo.train.Trainer;
import java.util.List;

/**
 * The recipe every method shares: a copy of the base model fine-tuned for a number of epochs over
 * its units (examples and pairs), at a peak learning rate, batch {@code cfg.batchSize}, warm-up
 * then cosine ({@link Trainer}).
 */
final class FineTuner {
  /** The fine-tuned model and its objective per step. */
  record Run(TinyTransformer model, double[] objective) {}

  private final DemoConfig cfg;
  private final Trainer trainer;
  private final Phases phases;

  FineTuner(DemoConfig cfg, CharTokenizer tokenizer, Phases phases) {
    this.cfg = cfg;
    this.trainer = new Trainer(new Batcher(tokenizer, cfg.trainPrompt));
    this.phases = phases;
  }

  /** @param preference the objective of {@code pairs} (null when there are none) */
  Run run(TinyTransformer base, List<Example> examples, List<Pair> pairs, Preference preference,
      double epochs, double lr, long seed, String label) {
    TinyTransformer model = base.copy();
    int steps = Trainer.steps(epochs, examples.size() + pairs.size(), cfg.batchSize);
    long t0 = System.nanoTime();
    double[] obj;
    try (Progress pb = Progress.start(cfg.progress, label, steps)) {
      obj = trainer.train(model, examples, pairs, preference,
          new Trainer.Options(steps, cfg.batchSize, lr, cfg.weightDecay, seed), pb.step());
    }
    phases.add("fineTuning", t0);
    return new Run(model, obj);
  }
}
