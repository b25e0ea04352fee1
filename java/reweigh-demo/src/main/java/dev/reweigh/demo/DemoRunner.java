package dev.reweigh.demo;

import static org.bytedeco.pytorch.global.torch.manual_seed;
import static org.bytedeco.pytorch.global.torch.set_num_threads;

import dev.reweigh.demo.methods.Base;
import dev.reweigh.demo.report.DemoResult;
import dev.reweigh.demo.report.MethodResult;
import dev.reweigh.demo.methods.DpoSharpening;
import dev.reweigh.demo.methods.EastMethod;
import dev.reweigh.demo.methods.GoldRejection;
import dev.reweigh.demo.methods.IwsiFilter;
import dev.reweigh.demo.methods.IwsiWeighted;
import dev.reweigh.demo.methods.Lmsi;
import dev.reweigh.demo.methods.Method;
import dev.reweigh.demo.methods.RoundInput;
import dev.reweigh.demo.methods.SampledPool;
import dev.reweigh.demo.methods.SftSharpening;
import dev.reweigh.demo.methods.TrainingSet;
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
import dev.reweigh.demo.train.LossStep;
import dev.reweigh.demo.train.Scorer;
import dev.reweigh.demo.train.Trainer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's loop: per seed, train a base model on the labelled seed set, then for R rounds let
 * every method sample from its current model, build its weighted training set, fine-tune a copy
 * with the fused weighted loss, and evaluate greedy accuracy on the held-out test set.
 */
public final class DemoRunner {
  private final DemoConfig cfg;
  private final PrintStream log;
  private final CharTokenizer tokenizer = new CharTokenizer();
  private final LossStep lossStep = new FusedLossStep();

  public DemoRunner(DemoConfig cfg, PrintStream log) {
    this.cfg = cfg;
    this.log = log;
  }

  /** The methods, in table order. */
  List<Method> methods() {
    return List.of(
        new Base(),
        new Lmsi(),
        new IwsiFilter(cfg.iwsiKeep, cfg.iwsiWholeText),
        new IwsiWeighted(cfg.iwsiClip, cfg.iwsiWholeText),
        new EastMethod(cfg.eastA),
        new SftSharpening(),
        new DpoSharpening(),
        new GoldRejection());
  }

  /** Runs every seed and returns the results with the base-training losses. */
  public DemoResult run() {
    set_num_threads(cfg.threads);
    List<Method> methods = methods();
    Map<String, MethodResult> results = new LinkedHashMap<>();
    for (Method m : methods) {
      results.put(m.name(), new MethodResult(m.name(), cfg.seeds, cfg.rounds));
    }
    double[] baseLossStart = new double[cfg.seeds];
    double[] baseLossEnd = new double[cfg.seeds];
    for (int s = 0; s < cfg.seeds; s++) {
      long seed = cfg.seed + s;
      log.printf("== seed %d (%d/%d)%n", seed, s + 1, cfg.seeds);
      runSeed(s, seed, methods, results, baseLossStart, baseLossEnd);
    }
    return new DemoResult(cfg, results, baseLossStart, baseLossEnd);
  }

  private void runSeed(int s, long seed, List<Method> methods, Map<String, MethodResult> results,
      double[] baseLossStart, double[] baseLossEnd) {
    manual_seed(seed);
    Splits splits = Splits.generate(new ArithmeticTask(ArithmeticTask.Shape.standard()),
        new Splits.Sizes(cfg.seedSet, cfg.pool, cfg.valid, cfg.test, cfg.poolShifted), seed);
    Batcher responseOnly = new Batcher(tokenizer, cfg.trainPrompt);
    Trainer trainer = new Trainer(responseOnly, lossStep);
    Scorer responseScorer = new Scorer(new Batcher(tokenizer, false), lossStep, 64);
    Scorer wholeScorer = new Scorer(new Batcher(tokenizer, true), lossStep, 64);
    Sampler sampler = new Sampler(tokenizer, 128);
    Evaluator evaluator = new Evaluator(sampler, cfg.maxNew);

    TinyTransformer base = new TinyTransformer(
        new ModelConfig(tokenizer.vocabSize(), cfg.dim, cfg.heads, cfg.layers, cfg.maxLen));
    List<Example> seedExamples = new ArrayList<>();
    for (Problem p : splits.seed()) {
      seedExamples.add(Example.of(p.prompt(), p.response(), 1.0));
    }
    Trainer.Log baseLog;
    try (Progress pb = Progress.start(cfg.progress, "base model: train", cfg.baseSteps)) {
      baseLog = trainer.train(base, seedExamples,
          new Trainer.Options(cfg.baseSteps, cfg.batchSize, cfg.lr, cfg.weightDecay, 0, seed), pb.step());
    }
    int k = Math.max(1, cfg.baseSteps / 10);
    baseLossStart[s] = baseLog.start(k);
    baseLossEnd[s] = baseLog.end(k);
    double baseAcc = evaluate(evaluator, base, splits.test(), "base model: eval");
    log.printf("base model (%,d parameters): training loss %.3f -> %.3f, test accuracy %.3f%n",
        base.parameterCount(), baseLossStart[s], baseLossEnd[s], baseAcc);
    for (Method m : methods) {
      results.get(m.name()).accuracy[s][0] = baseAcc;
    }

    Map<String, TinyTransformer> current = new LinkedHashMap<>();
    for (Method m : methods) {
      current.put(m.name(), base);
    }
    for (int r = 1; r <= cfg.rounds; r++) {
      Map<TinyTransformer, SampledPool> pools = new IdentityHashMap<>();
      for (Method m : methods) {
        MethodResult res = results.get(m.name());
        TinyTransformer prev = current.get(m.name());
        if (m instanceof Base) {
          res.accuracy[s][r] = baseAcc;
          continue;
        }
        final int round = r;
        SampledPool pool = pools.computeIfAbsent(prev, model -> sample(model, splits.pool(), seed, round, m.name()));
        TrainingSet set = m.build(new RoundInput(pool, prev, responseScorer, wholeScorer, splits.valid()));
        res.kept[s][r - 1] = set.keptFraction();
        res.precision[s][r - 1] = set.keptPrecision();
        res.weightCorrect[s][r - 1] = set.meanWeight(true);
        res.weightIncorrect[s][r - 1] = set.meanWeight(false);
        if (s == 0 && r == 1) {
          for (int i = 0; i < set.examples().size(); i++) {
            double w = set.examples().get(i).weight();
            if (w != 0) {
              (set.correct()[i] ? res.histCorrect : res.histIncorrect).add(w);
            }
          }
        }
        TinyTransformer next = prev.copy();
        List<Example> train = new ArrayList<>();
        for (Example e : set.examples()) {
          if (e.weight() != 0 || set.pairs()) {
            train.add(e);
          }
        }
        if (!train.isEmpty()) {
          try (Progress pb = Progress.start(cfg.progress,
              String.format("round %d %-9s train", r, m.name()), cfg.fineTuneSteps)) {
            Trainer.Log l = trainer.train(next, train, new Trainer.Options(cfg.fineTuneSteps,
                cfg.batchSize, cfg.fineTuneLr, cfg.weightDecay, m.dpo() ? cfg.dpoBeta : 0,
                seed * 31 + r), pb.step());
            int kk = Math.max(1, cfg.fineTuneSteps / 10);
            res.lossStart[s][r - 1] = l.start(kk);
            res.lossEnd[s][r - 1] = l.end(kk);
          }
        }
        double acc = evaluate(evaluator, next, splits.test(), String.format("round %d %-9s eval", r, m.name()));
        res.accuracy[s][r] = acc;
        current.put(m.name(), next);
        log.printf("round %d %-9s kept %5.1f%% (precision %.2f) -> test accuracy %.3f%n", r, m.name(),
            100 * res.kept[s][r - 1], res.precision[s][r - 1], acc);
      }
    }
  }

  private SampledPool sample(TinyTransformer model, List<Problem> questions, long seed, int round, String who) {
    List<String> prompts = new ArrayList<>(questions.size() * cfg.samplesPerQuestion);
    for (Problem p : questions) {
      for (int i = 0; i < cfg.samplesPerQuestion; i++) {
        prompts.add(p.prompt());
      }
    }
    String task = round == 1 ? "round 1 sample (base)" : String.format("round %d %-9s sample", round, who);
    List<String> out;
    try (Progress pb = Progress.start(cfg.progress, task, prompts.size())) {
      out = new Sampler(tokenizer, 128).generate(model, prompts, cfg.temperature, cfg.maxNew,
          seed * 1_000_003L + round, pb.step());
    }
    return new SampledPool(questions, cfg.samplesPerQuestion, out);
  }

  private double evaluate(Evaluator ev, TinyTransformer model, List<Problem> test, String task) {
    try (Progress pb = Progress.start(cfg.progress, task, test.size())) {
      return ev.accuracy(model, test, pb.step());
    }
  }
}
