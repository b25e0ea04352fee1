package dev.reweigh.demo;

import dev.reweigh.demo.model.Sampler;
import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.demo.task.AnswerExtractor;
import dev.reweigh.demo.task.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.IntConsumer;

/** Greedy decoding per problem: whether its extracted answer equals the gold one. */
public final class Evaluator {
  private final Sampler sampler;
  private final int maxNew;

  public Evaluator(Sampler sampler, int maxNew) {
    this.sampler = sampler;
    this.maxNew = maxNew;
  }

  /** Per-problem outcome of greedy decoding (true = right answer). */
  public boolean[] outcomes(TinyTransformer model, List<Problem> problems, IntConsumer progress) {
    List<String> prompts = new ArrayList<>(problems.size());
    for (Problem p : problems) {
      prompts.add(p.prompt());
    }
    List<String> out = sampler.generate(model, prompts, 0.0, maxNew, 0L, progress);
    boolean[] ok = new boolean[problems.size()];
    for (int i = 0; i < ok.length; i++) {
      OptionalInt a = AnswerExtractor.extract(out.get(i));
      ok[i] = a.isPresent() && a.getAsInt() == problems.get(i).answer();
    }
    return ok;
  }

  /** Fraction of true entries. */
  public static double mean(boolean[] ok) {
    int k = 0;
    for (boolean b : ok) {
      k += b ? 1 : 0;
    }
    return ok.length == 0 ? Double.NaN : (double) k / ok.length;
  }
}
