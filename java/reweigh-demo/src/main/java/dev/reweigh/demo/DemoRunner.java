package dev.reweigh.demo;

import static org.bytedeco.pytorch.global.torch.set_num_threads;

import dev.reweigh.demo.methods.DemoMethod;
import dev.reweigh.demo.methods.DpoSharpening;
import dev.reweigh.demo.methods.EastWeighting;
import dev.reweigh.demo.methods.GoldRejection;
import dev.reweigh.demo.methods.IwsiFilter;
import dev.reweigh.demo.methods.IwsiWeighted;
import dev.reweigh.demo.methods.Lmsi;
import dev.reweigh.demo.methods.RoundInput;
import dev.reweigh.demo.methods.SampledPool;
import dev.reweigh.demo.methods.SeedOnly;
import dev.reweigh.demo.methods.Selected;
import dev.reweigh.demo.methods.SftSharpening;
import dev.reweigh.demo.model.CharTokenizer;
import dev.reweigh.demo.model.Sampler;
import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.demo.report.DemoResult;
import dev.reweigh.demo.report.MethodResult;
import dev.reweigh.demo.task.ChainTask;
import dev.reweigh.demo.task.Problem;
import dev.reweigh.demo.task.Splits;
import dev.reweigh.demo.train.Batcher;
import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.Pair;
import dev.reweigh.demo.train.Scorer;
import dev.reweigh.demo.train.Trainer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The demo's loop. Per seed: the base model (trained into the dev band, or from the cache), its
 * test outcomes, and one pool sampled from it, on which the gates are measured. Then per round
 * and method: the method selects from its pool (round 1: the base model's, scored once; later
 * rounds: its own previous model's), and a copy of the base model is fine-tuned for the same
 * number of epochs over the seed set plus the union of the method's selections so far; its
 * greedy test outcomes are kept per question for the paired statistics.
 */
public final class DemoRunner {
  static final String BASE = "base";

  private final DemoConfig cfg;
  private final PrintStream log;
  private final CharTokenizer tokenizer = new CharTokenizer();
  private final Map<String, Double> timings = new LinkedHashMap<>();

  public DemoRunner(DemoConfig cfg, PrintStream log) {
    this.cfg = cfg;
    this.log = log;
  }

  /** The methods, in table order (base first). */
  List<DemoMethod> methods() {
    return List.of(
        new SeedOnly(),
        new Lmsi(),
        new IwsiFilter(cfg.iwsiKeep, cfg.iwsiWholeText),
        new IwsiWeighted(cfg.iwsiClip, cfg.iwsiWholeText),
        new EastWeighting(cfg.eastA, false),
        new EastWeighting(cfg.eastA, true),
        new SftSharpening(true),
        new SftSharpening(false),
        new DpoSharpening(cfg.preference()),
        new GoldRejection());
  }

  /** Runs every seed; with {@code calibrateOnly} stops after the gates. */
  public DemoResult run(boolean calibrateOnly) {
    set_num_threads(cfg.threads);
    List<DemoMethod> methods = calibrateOnly ? List.of() : methods();
    Map<String, MethodResult> results = new LinkedHashMap<>();
    if (!calibrateOnly) {
      results.put(BASE, new MethodResult(BASE, cfg.seeds, cfg.rounds));
      for (DemoMethod m : methods) {
        results.put(m.name(), new MethodResult(m.name(), cfg.seeds, cfg.rounds));
      }
    }
    Gates gates = new Gates();
    List<Map<String, Object>> bases = new ArrayList<>();
    for (int s = 0; s < cfg.seeds; s++) {
      long seed = cfg.seed + s;
      log.printf("== seed %d (%d/%d)%n", seed, s + 1, cfg.seeds);
      runSeed(s, seed, methods, results, gates, bases, calibrateOnly);
    }
    if (calibrateOnly) {
      log.println("right answers with a wrong step, e.g.:");
      gates.luckyChains().forEach(x -> log.println("  " + x));
    }
    long t0 = System.nanoTime();
    DemoResult r = Comparisons.build(cfg, results, bases, gates, timings, calibrateOnly);
    add("statistics", t0);
    return r;
  }

  private void runSeed(int s, long seed, List<DemoMethod> methods, Map<String, MethodResult> results,
      Gates gates, List<Map<String, Object>> bases, boolean calibrateOnly) {
    Splits splits = Splits.generate(new ChainTask(cfg.shape),
        new Splits.Sizes(cfg.seedSet, cfg.pool, cfg.dev, cfg.valid, cfg.test, cfg.poolShifted), seed);
    Sampler sampler = new Sampler(tokenizer, 128);
    Evaluator evaluator = new Evaluator(sampler, cfg.maxNew);
    Scorer scorer = new Scorer(tokenizer, 64);
    Trainer trainer = new Trainer(new Batcher(tokenizer, cfg.trainPrompt));

    long t0 = System.nanoTime();
    BaseModels.Base base = new BaseModels(cfg, tokenizer, evaluator, log).get(splits, seed);
    add("baseTraining", t0);
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("seed", seed);
    b.put("steps", base.steps());
    b.put("devAccuracy", base.devAccuracy());
    b.put("cached", base.cached());
    b.put("seconds", Math.round(base.seconds() * 10) / 10.0);
    List<List<Double>> curve = new ArrayList<>();
    for (double[] c : base.curve()) {
      curve.add(List.of(c[0], c[1]));
    }
    b.put("devCurve", curve);
    bases.add(b);

    SampledPool pool = sample(base.model(), splits.pool(), seed, 1, "base");
    boolean[] greedyPool = timed("evaluation", () -> evaluator.outcomes(base.model(), splits.pool(), null));
    gates.add(pool, greedyPool, base.devAccuracy(), splits.dev().size());
    Gates own = new Gates();
    own.add(pool, greedyPool, base.devAccuracy(), splits.dev().size());
    List<Map<String, Object>> perSeed = new ArrayList<>();
    for (dev.reweigh.demo.stats.Gate g : own.gates(cfg)) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", g.name());
      double v = g.estimate().value();
      e.put("value", Double.isFinite(v) ? v : null);
      e.put("pass", g.pass());
      perSeed.add(e);
      log.printf("gate (seed %d) %-48s %.3f %s%n", seed, g.name(), g.estimate().value(), g.pass() ? "PASS" : "FAIL");
    }
    b.put("gates", perSeed);
    if (calibrateOnly) {
      return;
    }
    boolean[] baseTest = timed("evaluation", () -> evaluate(evaluator, base.model(), splits.test(), "base"));
    MethodResult br = results.get(BASE);
    for (int r = 0; r <= cfg.rounds; r++) {
      br.accuracy[s][r] = Evaluator.mean(baseTest);
    }
    br.outcomes[s] = baseTest;
    log.printf("base model: test accuracy %.3f%n", Evaluator.mean(baseTest));

    RoundInput first = scored(pool, base.model(), scorer, splits);
    List<Example> seedData = new ArrayList<>();
    for (Problem p : splits.seed()) {
      seedData.add(new Example(p.prompt(), p.response(), 1.0));
    }
    for (DemoMethod m : methods) {
      MethodResult res = results.get(m.name());
      res.accuracy[s][0] = Evaluator.mean(baseTest);
      List<Example> examples = new ArrayList<>(seedData);
      List<Pair> pairs = new ArrayList<>();
      TinyTransformer current = base.model();
      for (int r = 1; r <= cfg.rounds; r++) {
        RoundInput in = r == 1 ? first
            : scored(sample(current, splits.pool(), seed, r, m.name()), current, scorer, splits);
        long ts = System.nanoTime();
        Selected sel = m.select(in);
        add("selection", ts);
        record(res, s, r, sel);
        examples.addAll(sel.examples());
        pairs.addAll(sel.pairs());
        TinyTransformer next = base.model().copy();
        int units = examples.size() + pairs.size();
        int steps = Trainer.steps(cfg.fineTuneEpochs, units, cfg.batchSize);
        long tf = System.nanoTime();
        double[] obj;
        try (Progress pb = Progress.start(cfg.progress, String.format("round %d %-13s train", r, m.name()), steps)) {
          obj = trainer.train(next, examples, pairs,
              m instanceof DpoSharpening d ? d.preference() : null,
              new Trainer.Options(steps, cfg.batchSize, cfg.fineTuneLr, cfg.weightDecay, seed * 31 + r),
              0, null, pb.step());
        }
        add("fineTuning", tf);
        int k = Math.max(1, obj.length / 10);
        res.steps[s][r - 1] = obj.length;
        res.lossStart[s][r - 1] = meanOf(obj, 0, k);
        res.lossEnd[s][r - 1] = meanOf(obj, obj.length - k, obj.length);
        final TinyTransformer model = next;
        boolean[] ok = timed("evaluation", () -> evaluate(evaluator, model, splits.test(), m.name()));
        res.accuracy[s][r] = Evaluator.mean(ok);
        if (r == cfg.rounds) {
          res.outcomes[s] = ok;
        }
        log.printf("round %d %-13s kept %5.1f%% (precision %.2f, chains %.2f), %d steps -> test accuracy %.3f%n",
            r, m.name(), 100 * res.kept[s][r - 1], res.precision[s][r - 1], res.chainPrecision[s][r - 1],
            obj.length, res.accuracy[s][r]);
        current = next;
      }
    }
  }

  private void record(MethodResult res, int s, int r, Selected sel) {
    res.kept[s][r - 1] = sel.keptFraction();
    res.precision[s][r - 1] = sel.precision();
    res.chainPrecision[s][r - 1] = sel.chainPrecision();
    res.weightCorrect[s][r - 1] = sel.meanWeight(true);
    res.weightIncorrect[s][r - 1] = sel.meanWeight(false);
    if (s == 0 && r == 1) {
      for (int i = 0; i < sel.examples().size(); i++) {
        (sel.correct()[i] ? res.histCorrect : res.histIncorrect).add(sel.examples().get(i).weight());
      }
    }
  }

  /** The pool and D_v scored once under {@code model}. */
  private RoundInput scored(SampledPool pool, TinyTransformer model, Scorer scorer, Splits splits) {
    long t0 = System.nanoTime();
    List<Example> texts = new ArrayList<>(pool.size());
    for (int q = 0; q < pool.questions(); q++) {
      for (int i = 0; i < pool.n(); i++) {
        texts.add(new Example(pool.question(q).prompt(), pool.response(q, i), 1.0));
      }
    }
    List<Example> valid = new ArrayList<>();
    for (Problem p : splits.valid()) {
      valid.add(new Example(p.prompt(), p.response(), 1.0));
    }
    RoundInput in = new RoundInput(pool, scorer.score(model, texts), scorer.score(model, valid));
    add("scoring", t0);
    return in;
  }

  private SampledPool sample(TinyTransformer model, List<Problem> questions, long seed, int round, String who) {
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
    add("sampling", t0);
    return new SampledPool(questions, cfg.samplesPerQuestion, out);
  }

  private boolean[] evaluate(Evaluator ev, TinyTransformer model, List<Problem> test, String who) {
    try (Progress pb = Progress.start(cfg.progress, String.format("eval %-13s", who), test.size())) {
      return ev.outcomes(model, test, pb.step());
    }
  }

  private <T> T timed(String phase, Supplier<T> f) {
    long t0 = System.nanoTime();
    T v = f.get();
    add(phase, t0);
    return v;
  }

  private void add(String phase, long t0) {
    timings.merge(phase, (System.nanoTime() - t0) / 1e9, Double::sum);
  }

  private static double meanOf(double[] x, int from, int to) {
    double s = 0;
    for (int i = from; i < to; i++) {
      s += x[i];
    }
    return to > from ? s / (to - from) : Double.NaN;
  }
}
