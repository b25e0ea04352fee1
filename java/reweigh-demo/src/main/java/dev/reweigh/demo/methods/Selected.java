package dev.reweigh.demo.methods;

import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.Pair;
import java.util.List;

/**
 * What a method adds to the seed set in one round, with what the report needs about it.
 *
 * @param examples weighted samples (weight 0 samples are left out)
 * @param pairs preference pairs (DPO-Sharpening)
 * @param correct per example, or per pair's first response: its answer equals the gold answer
 * @param chainRight per example, or per pair's first response: every step right
 * @param sampled how many responses the method chose from (the pool size)
 */
public record Selected(
    List<Example> examples, List<Pair> pairs, boolean[] correct, boolean[] chainRight, int sampled) {

  /** Responses kept (for pairs: the first responses) over the responses sampled. */
  public double keptFraction() {
    return sampled == 0 ? Double.NaN : (double) correct.length / sampled;
  }

  /** Fraction of kept responses (pairs: first responses) whose answer is correct. */
  public double precision() {
    return fraction(correct);
  }

  /** Fraction of kept responses (pairs: first responses) with every step right. */
  public double chainPrecision() {
    return fraction(chainRight);
  }

  /** Mean weight of kept examples whose answer is correct (or not); NaN when there are none. */
  public double meanWeight(boolean ofCorrect) {
    double s = 0;
    int k = 0;
    for (int i = 0; i < examples.size(); i++) {
      if (correct[i] == ofCorrect) {
        s += examples.get(i).weight();
        k++;
      }
    }
    return k == 0 ? Double.NaN : s / k;
  }

  private static double fraction(boolean[] b) {
    int k = 0;
    for (boolean x : b) {
      k += x ? 1 : 0;
    }
    return b.length == 0 ? Double.NaN : (double) k / b.length;
  }
}
