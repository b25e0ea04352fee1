package dev.reweigh.demo;

import dev.reweigh.demo.methods.DemoMethod;
import dev.reweigh.demo.methods.DpoSharpening;
import dev.reweigh.demo.methods.EastWeighting;
import dev.reweigh.demo.methods.IwsiMethods;
import dev.reweigh.demo.methods.PlainMethods;
import dev.reweigh.demo.methods.RoundInput;
import dev.reweigh.demo.methods.SampledPool;
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
import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.Pair;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The demo's loop (its jobs on {@link Workers}). Per seed: the base model (trained into the dev
 * band, or from the cache), its test outcomes, and one pool sampled from it, on which the gates are
 * measured. Then per round and method: the method selects from its pool (round 1: the base model's,
 * scored once; later rounds: its own previous model's), and a copy of the base model is fine-tuned
 * for the same number of epochs over the seed set plus the union of the method's selections so far;
 * its greedy test outcomes are kept per question for the paired statistics.
 */
public final class DemoRunner {
  static final String BASE = "base";

  private final DemoConfig cfg;
  private final PrintStream log;
  private final CharTokenizer tokenizer = new CharTokenizer();
  private final Phases phases = new Phases();

  public DemoRunner(DemoConfig cfg, PrintStream log) {
    this.cfg = cfg;
    this.log = log;
  }

  /** The methods, in table order (base first). */
  List<DemoMethod> methods() {
    return List.of(
        PlainMethods.seedOnly(),
        PlainMethods.lmsi(),
        IwsiMethods.filter(cfg.iwsiKeep, cfg.iwsiWholeText),
        IwsiMethods.weighted(cfg.iwsiClip, cfg.iwsiWholeText),
        new EastWeighting(cfg.eastA, false),
        new EastWeighting(cfg.eastA, true),
        new SftSharpening(true),
        new SftSharpening(false),
        new DpoSharpening(cfg.preference()),
        PlainMethods.goldRejection());
  }

  /** One seed's base model and what every method starts from. */
  private record SeedRun(int index, long seed, Splits splits, BaseModels.Base base, SampledPool pool,
      boolean[] greedyPool, boolean[] baseTest, RoundInput first) {}

  /**
   * Runs every seed; with {@code calibrateOnly} stops after the gates. The seeds' base models,
   * pools and evaluations are one job per seed, the fine-tunes one job per (seed, method), on
   * {@code cfg.threads} workers ({@link Workers}); what a job computes does not depend on the
   * worker or the order, and the results are gathered in seed and method order.
   */
  public DemoResult run(boolean calibrateOnly) {
    Workers.useIntraOpThreads();
    List<String> names = calibrateOnly ? List.of() : methods().stream().map(DemoMethod::name).toList();
    Map<String, MethodResult> results = new LinkedHashMap<>();
    if (!calibrateOnly) {
      results.put(BASE, new MethodResult(BASE, cfg.seeds, cfg.rounds));
      for (String m : names) {
        results.put(m, new MethodResult(m, cfg.seeds, cfg.rounds));
      }
    }
    List<Callable<SeedRun>> prepare = new ArrayList<>();
    for (int s = 0; s < cfg.seeds; s++) {
      final int index = s;
      prepare.add(() -> prepare(index, cfg.seed + index, calibrateOnly));
    }
    List<SeedRun> seeds = Workers.run(cfg.threads, prepare);
    Gates gates = new Gates();
    List<Map<String, Object>> bases = new ArrayList<>();
    for (SeedRun sr : seeds) {
      gates.add(sr.pool(), sr.greedyPool(), sr.base().devAccuracy(), sr.splits().dev().size());
      bases.add(baseRecord(sr));
    }
    if (calibrateOnly) {
      log.println("right answers with a wrong step, e.g.:");
      gates.luckyChains().forEach(x -> log.println("  " + x));
    } else {
      MethodResult br = results.get(BASE);
      List<Callable<Void>> fineTunes = new ArrayList<>();
      for (SeedRun sr : seeds) {
        for (int r = 0; r <= cfg.rounds; r++) {
          br.accuracy[sr.index()][r] = Evaluator.mean(sr.baseTest());
        }
        br.outcomes[sr.index()] = sr.baseTest();
        for (int m = 0; m < names.size(); m++) {
          final int method = m;
          fineTunes.add(() -> fineTune(sr, method, results.get(names.get(method))));
        }
      }
      Workers.run(cfg.threads, fineTunes);
    }
    long t0 = System.nanoTime();
    Map<String, Double> timings = phases.seconds();
    DemoResult r = Comparisons.build(cfg, results, bases, gates, timings, calibrateOnly);
    timings.put("statistics", (System.nanoTime() - t0) / 1e9);
    return r;
  }

  /** A seed's splits, base model, sampled pool, greedy outcomes on the pool and (unless calibrating) test. */
  private SeedRun prepare(int s, long seed, boolean calibrateOnly) {
    log.printf("== seed %d (%d/%d)%n", seed, s + 1, cfg.seeds);
    Splits splits = Splits.generate(new ChainTask(cfg.shape), cfg.trainingSizes(), cfg.test, seed);
    Evaluator evaluator = new Evaluator(new Sampler(tokenizer, 128), cfg.maxNew);
    PoolSampler sampler = new PoolSampler(cfg, tokenizer, phases);
    long t0 = System.nanoTime();
    BaseModels.Base base = new BaseModels(cfg, tokenizer, evaluator, log).get(splits.training(), seed);
    phases.add("baseTraining", t0);
    SampledPool pool = sampler.sample(base.model(), splits.pool(), seed, 1, "base");
    boolean[] greedyPool = phases.timed("evaluation", () -> evaluator.outcomes(base.model(), splits.pool(), null));
    if (calibrateOnly) {
      return new SeedRun(s, seed, splits, base, pool, greedyPool, null, null);
    }
    boolean[] baseTest = phases.timed("evaluation", () -> evaluate(evaluator, base.model(), splits.test(), "base"));
    log.printf("base model (seed %d): test accuracy %.3f%n", seed, Evaluator.mean(baseTest));
    RoundInput first = sampler.scored(pool, base.model(), splits.valid());
    return new SeedRun(s, seed, splits, base, pool, greedyPool, baseTest, first);
  }

  /** The seed's entry of report.json's {@code bases}, with its own gates (logged). */
  private Map<String, Object> baseRecord(SeedRun sr) {
    BaseModels.Base base = sr.base();
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("seed", sr.seed());
    b.put("steps", base.steps());
    b.put("devAccuracy", base.devAccuracy());
    b.put("cached", !base.source().equals("trained"));
    b.put("source", base.source());
    b.put("seconds", Math.round(base.seconds() * 10) / 10.0);
    List<List<Double>> curve = new ArrayList<>();
    for (BandSearch.Checkpoint c : base.checkpoints()) {
      curve.add(List.of((double) c.step(), c.devAccuracy(), (double) c.spacing()));
    }
    b.put("devCurve", curve);
    b.put("devCurveFields", List.of("step", "devAccuracy", "spacing"));
    b.put("replays", base.replays());
    b.put("devEvaluationSeconds", Math.round(base.devSeconds() * 10) / 10.0);
    Gates own = new Gates();
    own.add(sr.pool(), sr.greedyPool(), base.devAccuracy(), sr.splits().dev().size());
    List<Map<String, Object>> perSeed = new ArrayList<>();
    for (dev.reweigh.demo.stats.Gate g : own.gates(cfg)) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", g.name());
      double v = g.estimate().value();
      e.put("value", Double.isFinite(v) ? v : null);
      e.put("pass", g.pass());
      perSeed.add(e);
      log.printf("gate (seed %d) %-48s %.3f %s%n", sr.seed(), g.name(), g.estimate().value(),
          g.pass() ? "PASS" : "FAIL");
    }
    b.put("gates", perSeed);
    return b;
  }

  /**
   * Method {@code mi} of {@link #methods()} (a fresh instance) on one seed, every round: it selects
   * from its pool and a copy of the base model is fine-tuned on the seed set plus its selections so
   * far; writes only row {@code sr.index()} of {@code res}.
   */
  private Void fineTune(SeedRun sr, int mi, MethodResult res) {
    DemoMethod m = methods().get(mi);
    int s = sr.index();
    long seed = sr.seed();
    Splits splits = sr.splits();
    Evaluator evaluator = new Evaluator(new Sampler(tokenizer, 128), cfg.maxNew);
    PoolSampler sampler = new PoolSampler(cfg, tokenizer, phases);
    FineTuner fineTuner = new FineTuner(cfg, tokenizer, phases);
    res.accuracy[s][0] = Evaluator.mean(sr.baseTest());
    List<Example> examples = new ArrayList<>(PoolSampler.examples(splits.seed()));
    List<Pair> pairs = new ArrayList<>();
    TinyTransformer current = sr.base().model();
    for (int r = 1; r <= cfg.rounds; r++) {
      RoundInput in = r == 1 ? sr.first()
          : sampler.scored(sampler.sample(current, splits.pool(), seed, r, m.name()), current, splits.valid());
      long ts = System.nanoTime();
      Selected sel = m.select(in);
      phases.add("selection", ts);
      record(res, s, r, sel);
      examples.addAll(sel.examples());
      pairs.addAll(sel.pairs());
      boolean dpo = m instanceof DpoSharpening;
      FineTuner.Run run = fineTuner.run(sr.base().model(), examples, pairs,
          dpo ? ((DpoSharpening) m).preference() : null, cfg.fineTuneEpochs,
          dpo ? cfg.dpoLr : cfg.fineTuneLr, seed * 31 + r, String.format("round %d %-13s train", r, m.name()));
      double[] obj = run.objective();
      int k = Math.max(1, obj.length / 10);
      res.steps[s][r - 1] = obj.length;
      res.lossStart[s][r - 1] = meanOf(obj, 0, k);
      res.lossEnd[s][r - 1] = meanOf(obj, obj.length - k, obj.length);
      final TinyTransformer model = run.model();
      boolean[] ok = phases.timed("evaluation", () -> evaluate(evaluator, model, splits.test(), m.name()));
      res.accuracy[s][r] = Evaluator.mean(ok);
      if (r == cfg.rounds) {
        res.outcomes[s] = ok;
      }
      log.printf("seed %d round %d %-13s kept %5.1f%% (precision %.2f, chains %.2f), %d steps -> test accuracy %.3f%n",
          seed, r, m.name(), 100 * res.kept[s][r - 1], res.precision[s][r - 1], res.chainPrecision[s][r - 1],
          obj.length, res.accuracy[s][r]);
      current = model;
    }
    return null;
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

  private boolean[] evaluate(Evaluator ev, TinyTransformer model, List<Problem> test, String who) {
    try (Progress pb = Progress.start(cfg.progress, String.format("eval %-13s", who), test.size())) {
      return ev.outcomes(model, test, pb.step());
    }
  }

  private static double meanOf(double[] x, int from, int to) {
    double s = 0;
    for (int i = from; i < to; i++) {
      s += x[i];
    }
    return to > from ? s / (to - from) : Double.NaN;
  }
}
