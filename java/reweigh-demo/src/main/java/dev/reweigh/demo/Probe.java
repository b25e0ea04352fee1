package dev.reweigh.demo;

import dev.reweigh.demo.model.CharTokenizer;
import dev.reweigh.demo.model.ModelConfig;
import dev.reweigh.demo.model.Sampler;
import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.demo.task.ArithmeticTask;
import dev.reweigh.demo.task.Problem;
import dev.reweigh.demo.task.Splits;
import dev.reweigh.demo.train.Batcher;
import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.FusedLossStep;
import dev.reweigh.demo.train.Trainer;
import java.util.ArrayList;
import java.util.List;

/** Temporary probe: trains a base model and prints timings and accuracy. */
public final class Probe {
  public static void main(String[] args) {
    int seedN = Integer.parseInt(args[0]);
    int steps = Integer.parseInt(args[1]);
    int dim = Integer.parseInt(args[2]);
    int layers = Integer.parseInt(args[3]);
    org.bytedeco.pytorch.global.torch.manual_seed(1);
    CharTokenizer tk = new CharTokenizer();
    Splits sp = Splits.generate(new ArithmeticTask(ArithmeticTask.Shape.standard()),
        new Splits.Sizes(seedN, 256, 64, 200, 0.3), 1);
    TinyTransformer m = new TinyTransformer(new ModelConfig(tk.vocabSize(), dim, 4, layers, 256));
    System.out.println("params " + m.parameterCount() + " example: " + sp.seed().get(0).text());
    List<Example> ex = new ArrayList<>();
    for (Problem p : sp.seed()) {
      ex.add(Example.of(p.prompt(), p.response(), 1.0));
    }
    Trainer tr = new Trainer(new Batcher(tk, false), new FusedLossStep());
    long t0 = System.nanoTime();
    Trainer.Log log = tr.train(m, ex, new Trainer.Options(steps, 32, 3e-3, 0.01, 0, 1), null);
    long t1 = System.nanoTime();
    System.out.printf("train %.1fs loss %.3f -> %.3f%n", (t1 - t0) / 1e9, log.start(10), log.end(10));
    Sampler s = new Sampler(tk, 256);
    Evaluator ev = new Evaluator(s, 80);
    double acc = ev.accuracy(m, sp.test(), null);
    long t2 = System.nanoTime();
    System.out.printf("test acc %.3f eval %.1fs%n", acc, (t2 - t1) / 1e9);
    List<String> prompts = new ArrayList<>();
    for (Problem p : sp.pool()) {
      for (int k = 0; k < 8; k++) {
        prompts.add(p.prompt());
      }
    }
    List<String> outs = s.generate(m, prompts, 1.0, 80, 7, null);
    long t3 = System.nanoTime();
    System.out.printf("sample %d in %.1fs; e.g. %s | %s%n", prompts.size(), (t3 - t2) / 1e9, prompts.get(0), outs.get(0));
    double shiftedAcc = ev.accuracy(m, sp.pool(), null);
    System.out.printf("pool acc %.3f%n", shiftedAcc);
  }
}
