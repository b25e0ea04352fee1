package dev.reweigh.demo;

import dev.reweigh.demo.report.DemoResult;
import dev.reweigh.demo.report.MethodResult;
import dev.reweigh.demo.stats.Bootstrap;
import dev.reweigh.demo.stats.Estimate;
import dev.reweigh.demo.stats.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Paired statistics over the stored per-question outcomes: every method's accuracy, its
 * difference to base and to LMSI on the same test questions, each with a 95% percentile
 * bootstrap interval that redraws questions within each seed, and the papers' claims read from
 * those intervals.
 */
final class Comparisons {
  private Comparisons() {}

  static DemoResult build(DemoConfig cfg, Map<String, MethodResult> results,
      List<Map<String, Object>> bases, Gates gates, Map<String, Double> timings, boolean calibrateOnly) {
    Map<String, DemoResult.Comparison> comparisons = new LinkedHashMap<>();
    List<Verdict> verdicts = new ArrayList<>();
    if (!calibrateOnly) {
      MethodResult base = results.get(DemoRunner.BASE);
      MethodResult lmsi = results.get("LMSI");
      MethodResult seedOnly = results.get("seed-only");
      long salt = 100;
      for (MethodResult m : results.values()) {
        Estimate acc = paired(cfg, m, null, salt++);
        Estimate vsBase = m == base ? null : paired(cfg, m, base, salt++);
        Estimate vsSeed = m == seedOnly || m == base || seedOnly == null ? null : paired(cfg, m, seedOnly, salt++);
        Estimate vsLmsi = m == lmsi || m == base || m == seedOnly || lmsi == null ? null : paired(cfg, m, lmsi, salt++);
        double[] bySeed = new double[cfg.seeds];
        for (int s = 0; s < cfg.seeds; s++) {
          bySeed[s] = Evaluator.mean(m.outcomes[s]) - Evaluator.mean(base.outcomes[s]);
        }
        comparisons.put(m.name, new DemoResult.Comparison(acc, vsBase, vsSeed, vsLmsi, bySeed));
      }
      // Every fine-tuned model also trains on the seed set again, so a method's own data is judged
      // against seed-only (same recipe, no self-generated data); the base model is the other check.
      claim(verdicts, cfg, results, "LMSI >= seed-only", "Huang et al. 2023 (LMSI)", "LMSI", "seed-only");
      claim(verdicts, cfg, results, "IWSI >= LMSI", "Jiang et al. 2025 (IWSI)", "IWSI", "LMSI");
      claim(verdicts, cfg, results, "IWSI >= IWSI-w", "Jiang et al. 2025 (IWSI)", "IWSI", "IWSI-w");
      claim(verdicts, cfg, results, "EAST entropy >= uniform (gold-filtered)", "EAST (arXiv:2503.23913)",
          "EAST-gold", "gold-RS");
      claim(verdicts, cfg, results, "SFT-Sharpening >= seed-only", "Huang et al. 2025 (Sharpening)",
          "SFT-Sharp", "seed-only");
      claim(verdicts, cfg, results, "DPO-Sharpening >= seed-only", "Huang et al. 2025 (Sharpening)",
          "DPO-Sharp", "seed-only");
      claim(verdicts, cfg, results, "gold-RS > base (the training loop works)", "check", "gold-RS",
          DemoRunner.BASE);
      claim(verdicts, cfg, results, "gold-RS > seed-only (own right answers help)", "check", "gold-RS",
          "seed-only");
    }
    return new DemoResult(cfg, results, bases, gates.gates(cfg), gates.diagnostics(cfg), comparisons,
        verdicts, timings);
  }

  private static void claim(List<Verdict> out, DemoConfig cfg, Map<String, MethodResult> results,
      String claim, String paper, String a, String b) {
    MethodResult ma = results.get(a);
    MethodResult mb = results.get(b);
    if (ma != null && mb != null) {
      out.add(Verdict.of(claim, paper, a, b, paired(cfg, ma, mb, claim.hashCode())));
    }
  }

  /** Accuracy of {@code a} (b == null) or the paired difference a - b. */
  static Estimate paired(DemoConfig cfg, MethodResult a, MethodResult b, long salt) {
    List<double[][]> strata = new ArrayList<>();
    for (int s = 0; s < a.outcomes.length; s++) {
      boolean[] x = a.outcomes[s];
      double[][] rows = new double[x.length][3];
      for (int j = 0; j < x.length; j++) {
        rows[j][0] = x[j] ? 1 : 0;
        rows[j][1] = b == null ? 0 : b.outcomes[s][j] ? 1 : 0;
        rows[j][2] = 1;
      }
      strata.add(rows);
    }
    Bootstrap boot = new Bootstrap(strata);
    java.util.function.ToDoubleFunction<double[]> f = sums -> (sums[0] - sums[1]) / sums[2];
    double[] ci = boot.interval(f, cfg.bootstrap, cfg.seed * 7919 + salt);
    return new Estimate(boot.point(f), ci[0], ci[1]);
  }
}
