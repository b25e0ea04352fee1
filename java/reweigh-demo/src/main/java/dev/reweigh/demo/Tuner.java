package dev.reweigh.demo;

import dev.reweigh.demo.methods.DemoMethod;
import dev.reweigh.demo.methods.DpoSharpening;
import dev.reweigh.demo.methods.PlainMethods;
import dev.reweigh.demo.methods.RoundInput;
import dev.reweigh.demo.methods.Selected;
import dev.reweigh.demo.model.CharTokenizer;
import dev.reweigh.demo.model.Sampler;
import dev.reweigh.demo.task.ChainTask;
import dev.reweigh.demo.task.TrainingSplits;
import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.Preference;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code reweigh demo --tune}: chooses the fine-tuning recipe on the dev split, by rules fixed
 * before any run and blind to the paper methods' results.
 *
 * <ol>
 *   <li>Shared recipe: every (learning rate, epochs) of {@link #LRS} x {@link #EPOCHS} fine-tunes
 *       seed-only and gold-RS from each seed's base model; the recipe with the highest dev
 *       accuracy averaged over both methods and all seeds is chosen (ties: the earlier grid
 *       entry, fewer epochs then a smaller rate). Neither method is a paper method, so the choice
 *       favours none of them.
 *   <li>DPO-Sharpening's own knobs, with the chosen epochs: every (beta, learning rate) of {@link
 *       #DPO_BETAS} x {@link #DPO_LR_FACTORS} times the chosen rate; the highest dev accuracy of
 *       DPO-Sharpening itself over all seeds is chosen (ties: the earlier entry).
 * </ol>
 *
 * <p>It sees only {@link TrainingSplits}: the test split is never generated here. Every fine-tune
 * is one job on {@link Workers}; the grids are assembled in their fixed order.
 */
final class Tuner {
  // Two seeds, both base models cached: each (lr, epochs) entry fine-tunes four models, each DPO
  // entry two; about 10,000 optimizer steps in all (20 minutes of one core).
  static final double[] LRS = {1e-3, 3e-3, 1e-2};
  static final double[] EPOCHS = {0.5, 1.0, 2.0};
  static final double[] DPO_BETAS = {1.0, 10.0, 30.0};
  static final double[] DPO_LR_FACTORS = {1.0, 0.1, 0.01};
  /** Scores closer than this are a tie (equal dev accuracies summed in a different order). */
  static final double TIE = 1e-9;
  static final String RULE = "maximise the dev accuracy of seed-only and gold-RS averaged over both and over"
      + " the seeds; ties: the earlier grid entry (fewer epochs, then a smaller learning rate)";
  static final String DPO_RULE = "with the chosen epochs, maximise DPO-Sharpening's own dev accuracy over the"
      + " seeds; ties: the earlier grid entry (smaller beta first)";

  /** One seed's base model, its scored round-1 pool and its seed set as examples. */
  private record SeedState(long seed, BaseModels.Base base, RoundInput input, List<Example> seedData,
      TrainingSplits splits) {}

  private final DemoConfig cfg;
  private final PrintStream log;
  private final CharTokenizer tokenizer = new CharTokenizer();
  private final Phases phases = new Phases();

  Tuner(DemoConfig cfg, PrintStream log) {
    this.cfg = cfg;
    this.log = log;
  }

  /** Runs both grids and returns the chosen recipe with its record ({@code commit} as given). */
  TunedRecipe tune(String commit) {
    if (cfg.dpoLoss != Preference.Kind.EQ8) {
      throw new IllegalArgumentException("--tune: tunes DPO-Sharpening's EQ8 loss; drop --dpo-loss");
    }
    Workers.useIntraOpThreads();
    List<Callable<SeedState>> prepare = new ArrayList<>();
    for (int s = 0; s < cfg.seeds; s++) {
      long seed = cfg.seed + s;
      prepare.add(() -> prepare(seed));
    }
    List<SeedState> seeds = Workers.run(cfg.threads, prepare);

    // Every (epochs, lr) x method x seed fine-tune is one job; rows are assembled in grid order.
    List<DemoMethod> shared = List.of(PlainMethods.seedOnly(), PlainMethods.goldRejection());
    List<Callable<Double>> jobs = new ArrayList<>();
    for (double epochs : EPOCHS) {
      for (double lr : LRS) {
        for (int m = 0; m < shared.size(); m++) {
          final int method = m;
          for (SeedState st : seeds) {
            jobs.add(() -> devAccuracy(st, sharedMethod(method), null, epochs, lr));
          }
        }
      }
    }
    List<Double> accs = Workers.run(cfg.threads, jobs);
    List<Map<String, Object>> grid = new ArrayList<>();
    int next = 0;
    for (double epochs : EPOCHS) {
      for (double lr : LRS) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("lr", lr);
        row.put("epochs", epochs);
        double sum = 0;
        int n = 0;
        for (DemoMethod m : shared) {
          double[] acc = new double[seeds.size()];
          for (int s = 0; s < seeds.size(); s++) {
            acc[s] = accs.get(next++);
            sum += acc[s];
            n++;
          }
          row.put(m.name(), acc);
        }
        row.put("score", sum / n);
        grid.add(row);
        log.printf(Locale.ROOT, "tune: lr %.0e, %.1f epochs -> mean dev accuracy %.4f%n", lr, epochs, sum / n);
      }
    }
    Map<String, Object> sharedChoice = best(grid);
    double bestLr = (double) sharedChoice.get("lr");
    double bestEpochs = (double) sharedChoice.get("epochs");

    List<Callable<Double>> dpoJobs = new ArrayList<>();
    for (double beta : DPO_BETAS) {
      for (double factor : DPO_LR_FACTORS) {
        for (SeedState st : seeds) {
          dpoJobs.add(() -> {
            DpoSharpening dpo = new DpoSharpening(new Preference(Preference.Kind.EQ8, beta));
            return devAccuracy(st, dpo, dpo.preference(), bestEpochs, bestLr * factor);
          });
        }
      }
    }
    List<Double> dpoAccs = Workers.run(cfg.threads, dpoJobs);
    List<Map<String, Object>> dpoGrid = new ArrayList<>();
    next = 0;
    for (double beta : DPO_BETAS) {
      for (double factor : DPO_LR_FACTORS) {
        double lr = bestLr * factor;
        double[] acc = new double[seeds.size()];
        double sum = 0;
        for (int s = 0; s < seeds.size(); s++) {
          acc[s] = dpoAccs.get(next++);
          sum += acc[s];
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("beta", beta);
        row.put("lr", lr);
        row.put("epochs", bestEpochs);
        row.put("DPO-Sharp", acc);
        row.put("score", sum / acc.length);
        dpoGrid.add(row);
        log.printf(Locale.ROOT, "tune: DPO beta %.0f, lr %.1e -> dev accuracy %.4f%n", beta, lr, sum / acc.length);
      }
    }
    Map<String, Object> dpoChoice = best(dpoGrid);
    double bestBeta = (double) dpoChoice.get("beta");
    double bestDpoLr = (double) dpoChoice.get("lr");

    Map<String, Object> json = new LinkedHashMap<>();
    json.put("lr", bestLr);
    json.put("epochs", bestEpochs);
    json.put("dpoLoss", Preference.Kind.EQ8.name());
    json.put("dpoBeta", bestBeta);
    json.put("dpoLr", bestDpoLr);
    json.put("rule", RULE);
    json.put("dpoRule", DPO_RULE);
    json.put("split", "dev (" + cfg.dev + " labelled questions per seed, the split that also stops base training);"
        + " the test split is not generated while tuning");
    List<Long> seedList = new ArrayList<>();
    for (SeedState s : seeds) {
      seedList.add(s.seed());
    }
    json.put("seeds", seedList);
    json.put("grid", grid);
    json.put("dpoGrid", dpoGrid);
    json.put("configKey", cfg.tuneKey());
    json.put("commit", commit);
    json.put("date", Instant.now().toString());
    Map<String, Object> t = new LinkedHashMap<>();
    phases.seconds().forEach((k, v) -> t.put(k, Math.round(v * 10) / 10.0));
    json.put("timings", t);
    return TunedRecipe.of(json);
  }

  /** The first row with the highest "score": a later row must beat it by more than {@link #TIE}. */
  private static Map<String, Object> best(List<Map<String, Object>> rows) {
    Map<String, Object> best = rows.get(0);
    for (Map<String, Object> r : rows) {
      if ((double) r.get("score") > (double) best.get("score") + TIE) {
        best = r;
      }
    }
    return best;
  }

  /** One seed's base model and its scored round-1 pool. */
  private SeedState prepare(long seed) {
    TrainingSplits splits = TrainingSplits.generate(new ChainTask(cfg.shape), cfg.trainingSizes(), seed);
    Evaluator evaluator = new Evaluator(new Sampler(tokenizer, 128), cfg.maxNew);
    PoolSampler sampler = new PoolSampler(cfg, tokenizer, phases);
    long t0 = System.nanoTime();
    BaseModels.Base base = new BaseModels(cfg, tokenizer, evaluator, log).get(splits, seed);
    phases.add("baseTraining", t0);
    RoundInput in = sampler.scored(sampler.sample(base.model(), splits.pool(), seed, 1, "base"), base.model(),
        splits.valid());
    return new SeedState(seed, base, in, PoolSampler.examples(splits.seed()), splits);
  }

  /** A fresh instance of the shared rule's method {@code m} (0: seed-only, 1: gold-RS). */
  private static DemoMethod sharedMethod(int m) {
    return m == 0 ? PlainMethods.seedOnly() : PlainMethods.goldRejection();
  }

  /** Dev accuracy of {@code method}'s round-1 selection fine-tuned with (epochs, lr) from the base. */
  private double devAccuracy(SeedState st, DemoMethod method, Preference preference, double epochs, double lr) {
    FineTuner fineTuner = new FineTuner(cfg, tokenizer, phases);
    Evaluator evaluator = new Evaluator(new Sampler(tokenizer, 128), cfg.maxNew);
    Selected sel = method.select(st.input());
    List<Example> examples = new ArrayList<>(st.seedData());
    examples.addAll(sel.examples());
    FineTuner.Run run = fineTuner.run(st.base().model(), examples, sel.pairs(), preference, epochs, lr,
        st.seed() * 31 + 1, String.format(Locale.ROOT, "tune %-9s lr %.0e x %.1f", method.name(), lr, epochs));
    return phases.timed("evaluation",
        () -> Evaluator.mean(evaluator.outcomes(run.model(), st.splits().dev(), null)));
  }
}
