package dev.reweigh.demo.methods;

import dev.reweigh.demo.train.Example;
import java.util.List;

/**
 * What a method trains on in one round: examples with their weights and, for reporting, whether
 * each kept sample's answer is actually correct.
 *
 * @param examples the training samples (DPO: adjacent chosen, rejected pairs)
 * @param correct per example: its answer equals the gold answer
 * @param pairs true when examples are DPO pairs
 * @param sampled how many responses the method chose from (the pool size)
 */
public record TrainingSet(List<Example> examples, boolean[] correct, boolean pairs, int sampled) {
  /** Fraction of the sampled responses kept (with non-zero weight). */
  public double keptFraction() {
    int kept = 0;
    for (Example e : examples) {
      if (e.weight() != 0) {
        kept++;
      }
    }
    return sampled == 0 ? 0 : (double) kept / sampled;
  }

  /** Mean weight of kept samples whose answer is correct (or incorrect); NaN when there are none. */
  public double meanWeight(boolean ofCorrect) {
    double s = 0;
    int k = 0;
    for (int i = 0; i < examples.size(); i++) {
      if (correct[i] == ofCorrect && examples.get(i).weight() != 0) {
        s += examples.get(i).weight();
        k++;
      }
    }
    return k == 0 ? Double.NaN : s / k;
  }

  /** Fraction of kept samples whose answer is correct (the pseudo-label precision). */
  public double keptPrecision() {
    int kept = 0;
    int ok = 0;
    for (int i = 0; i < examples.size(); i++) {
      if (examples.get(i).weight() != 0) {
        kept++;
        if (correct[i]) {
          ok++;
        }
      }
    }
    return kept == 0 ? Double.NaN : (double) ok / kept;
  }
}
