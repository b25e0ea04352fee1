package dev.reweigh.demo.report;

import dev.reweigh.demo.DemoConfig;
import dev.reweigh.demo.stats.Estimate;
import dev.reweigh.demo.stats.Gate;
import dev.reweigh.demo.stats.Verdict;
import java.util.List;
import java.util.Map;

/**
 * A finished demo run.
 *
 * @param methods per-method raw results (empty for --calibrate)
 * @param bases per seed: base-model steps, dev accuracy, whether it came from the cache
 * @param gates the preconditions, pooled over seeds
 * @param diagnostics majority minus greedy and the gates' parts
 * @param comparisons per method: accuracy, paired difference to base and to LMSI
 * @param verdicts the papers' claims
 * @param timings seconds per phase
 */
public record DemoResult(
    DemoConfig config,
    Map<String, MethodResult> methods,
    List<Map<String, Object>> bases,
    List<Gate> gates,
    Map<String, Estimate> diagnostics,
    Map<String, Comparison> comparisons,
    List<Verdict> verdicts,
    Map<String, Double> timings) {

  /**
   * One method's accuracy and its paired differences (null where not applicable): to the base
   * model, to seed-only (the same extra training on the seed set alone: what the method's own
   * data adds) and to LMSI.
   */
  public record Comparison(Estimate accuracy, Estimate vsBase, Estimate vsSeedOnly, Estimate vsLmsi,
      double[] vsBaseBySeed) {}
}
