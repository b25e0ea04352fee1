package dev.reweigh.demo;

import dev.reweigh.demo.model.Sampler;
import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.demo.task.AnswerExtractor;
import dev.reweigh.demo.task.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.IntConsumer;

/** Greedy-decoding accuracy: the fraction of problems whose extracted answer equals the gold one. */
public final class Evaluator {
  private final Sampler sampler;
  private final int maxNew;

  public Evaluator(Sampler sampler, int maxNew) {
    this.sampler = sampler;
    this.maxNew = maxNew;
  }

  public double accuracy(TinyTransformer model, List<Problem> problems, IntConsumer progress) {
    List<String> prompts = new ArrayList<>(problems.size());
    for (Problem p : problems) {
      prompts.add(p.prompt());
    }
    List<String> out = sampler.generate(model, prompts, 0.0, maxNew, 0L, progress);
    int correct = 0;
    for (int i = 0; i < problems.size(); i++) {
      OptionalInt a = AnswerExtractor.extract(out.get(i));
      if (a.isPresent() && a.getAsInt() == problems.get(i).answer()) {
        correct++;
      }
    }
    return problems.isEmpty() ? 0.0 : (double) correct / problems.size();
  }
}
