package dev.reweigh.cli;

import java.util.Map;

/**
 * What a method decided for one candidate: its training weight, whether to keep it, and extra
 * output fields (e.g. {@code ds_weight}, {@code entropy}).
 *
 * @param weight the weight (0 for dropped candidates)
 * @param keep the keep flag
 * @param extra extra snake_case output fields; values are Double, Integer, String or null
 */
record Decision(double weight, boolean keep, Map<String, Object> extra) {

  static Decision of(double weight, boolean keep) {
    return new Decision(weight, keep, Map.of());
  }

  /** Every weight of a batch as a kept decision (the softmax methods keep every candidate). */
  static Decision[] keepAll(double[] weights) {
    Decision[] d = new Decision[weights.length];
    for (int i = 0; i < weights.length; i++) {
      d[i] = of(weights[i], true);
    }
    return d;
  }

  /** Weight 1 when kept, 0 otherwise (filtering methods). */
  static Decision mask(boolean keep) {
    return of(keep ? 1.0 : 0.0, keep);
  }
}
