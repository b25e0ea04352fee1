package dev.reweigh.demo;

import dev.reweigh.demo.methods.SampledPool;
import dev.reweigh.demo.stats.Bootstrap;
import dev.reweigh.demo.stats.Estimate;
import dev.reweigh.demo.stats.Gate;
import dev.reweigh.demo.stats.Wilson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The papers' preconditions, measured on the base models' round-1 pools and pooled over seeds:
 * base greedy dev accuracy in the band; pass@N (some sample right: there is something to select);
 * majority-label precision minus per-sample accuracy (the majority filter enriches right answers:
 * LMSI, IWSI and EAST's premise); the fraction of right-answer samples whose every step is right
 * (a right answer mostly means a right chain, so training on it teaches the task). Majority vote
 * minus greedy accuracy on the pool questions is reported as a diagnostic.
 */
final class Gates {
  private static final int COUNT = 0;
  private static final int ANY = 1;
  private static final int KEPT = 2;
  private static final int KEPT_OK = 3;
  private static final int SAMPLES = 4;
  private static final int OK = 5;
  private static final int OK_CHAIN = 6;
  private static final int MAJ_OK = 7;
  private static final int GREEDY_OK = 8;

  private final List<double[][]> strata = new ArrayList<>();
  private final List<Double> devAccuracy = new ArrayList<>();
  private double devCorrect;
  private double devCount;
  private final List<String> luckyChains = new ArrayList<>();

  /** Adds one seed: its base model's pool and greedy outcomes on the pool questions. */
  void add(SampledPool pool, boolean[] greedyOnPool, double baseDevAccuracy, int devSize) {
    double[][] rows = new double[pool.questions()][9];
    for (int q = 0; q < pool.questions(); q++) {
      double[] r = rows[q];
      r[COUNT] = 1;
      boolean[] keep = pool.vote(q).lmsiKeep();
      for (int i = 0; i < pool.n(); i++) {
        boolean ok = pool.correct(q, i);
        r[SAMPLES]++;
        if (ok) {
          r[OK]++;
          r[ANY] = 1;
          if (pool.chainRight(q, i)) {
            r[OK_CHAIN]++;
          } else if (luckyChains.size() < 6) {
            luckyChains.add(pool.question(q).prompt() + pool.response(q, i).stripTrailing());
          }
        }
        if (keep[i]) {
          r[KEPT]++;
          if (ok) {
            r[KEPT_OK]++;
          }
        }
      }
      String maj = pool.vote(q).hasMajority() ? pool.vote(q).majorityAnswer() : null;
      r[MAJ_OK] = maj != null && Integer.parseInt(maj) == pool.question(q).answer() ? 1 : 0;
      r[GREEDY_OK] = greedyOnPool[q] ? 1 : 0;
    }
    strata.add(rows);
    devAccuracy.add(baseDevAccuracy);
    devCorrect += Math.round(baseDevAccuracy * devSize);
    devCount += devSize;
  }

  /** The four gates, in the order of issue 13. */
  List<Gate> gates(DemoConfig cfg) {
    Bootstrap b = new Bootstrap(strata);
    List<Gate> g = new ArrayList<>();
    boolean allInBand = !devAccuracy.isEmpty();
    for (double a : devAccuracy) {
      allInBand &= a >= cfg.bandLow && a <= cfg.bandHigh;
    }
    g.add(new Gate("base greedy dev accuracy",
        String.format("in [%.2f, %.2f] for every seed %s", cfg.bandLow, cfg.bandHigh, devAccuracy),
        Wilson.of(devCorrect, devCount), allInBand));
    Estimate pass = estimate(b, s -> s[ANY] / s[COUNT], cfg, 1);
    g.add(new Gate("pass@" + cfg.samplesPerQuestion, ">= " + cfg.passAtNMin, pass, pass.value() >= cfg.passAtNMin));
    Estimate gain = estimate(b, s -> s[KEPT_OK] / s[KEPT] - s[OK] / s[SAMPLES], cfg, 2);
    g.add(new Gate("majority-label precision - per-sample accuracy", ">= " + cfg.majorityGainMin, gain,
        gain.value() >= cfg.majorityGainMin));
    Estimate chain = estimate(b, s -> s[OK_CHAIN] / s[OK], cfg, 3);
    g.add(new Gate("right-answer samples with every step right", ">= " + cfg.chainRightMin, chain,
        chain.value() >= cfg.chainRightMin));
    return g;
  }

  /** Diagnostics: majority vote minus greedy accuracy (pool questions), and the parts of the gates. */
  Map<String, Estimate> diagnostics(DemoConfig cfg) {
    Bootstrap b = new Bootstrap(strata);
    Map<String, Estimate> d = new LinkedHashMap<>();
    d.put("majority vote - greedy accuracy", estimate(b, s -> (s[MAJ_OK] - s[GREEDY_OK]) / s[COUNT], cfg, 4));
    d.put("majority vote accuracy", estimate(b, s -> s[MAJ_OK] / s[COUNT], cfg, 5));
    d.put("greedy accuracy (pool)", estimate(b, s -> s[GREEDY_OK] / s[COUNT], cfg, 6));
    d.put("per-sample accuracy", estimate(b, s -> s[OK] / s[SAMPLES], cfg, 7));
    d.put("majority-label precision", estimate(b, s -> s[KEPT_OK] / s[KEPT], cfg, 8));
    return d;
  }

  /** A few sampled responses with the right answer but a wrong step (what the fourth gate counts). */
  List<String> luckyChains() {
    return luckyChains;
  }

  private static Estimate estimate(Bootstrap b, java.util.function.ToDoubleFunction<double[]> f,
      DemoConfig cfg, long salt) {
    double[] ci = b.interval(f, cfg.bootstrap, cfg.seed * 1000 + salt);
    return new Estimate(b.point(f), ci[0], ci[1]);
  }
}
