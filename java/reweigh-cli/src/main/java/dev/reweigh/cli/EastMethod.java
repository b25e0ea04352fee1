package dev.reweigh.cli;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.East;
import dev.reweigh.weighting.SelfConsistency;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code east}: weight each trained question by f(h) = h^a / mean h^a, the mean over every trained
 * question of the input (arXiv:2503.23913; docs/methods.md §3). Trained responses: those equal to
 * the gold answer when the question has one (target {@code gold}, or {@code auto} with a
 * gold_answer present), else those equal to the majority answer. Questions with nothing to train on
 * are dropped; with a &lt; 0, questions with h = 0 are dropped too (their weight is undefined) and
 * counted in the summary notes.
 *
 * <p>Two passes: the first computes one entropy per question (8 bytes per question), the second
 * writes; memory is one question at a time besides that.
 */
final class EastMethod extends WeighMethod {

  /** Which responses are trained on. */
  enum Target {
    AUTO,
    GOLD,
    MAJORITY
  }

  private final double a;
  private final Target target;
  private double[] h = new double[256];
  private int questions;
  private double[] f;
  private int next;

  EastMethod(double a, Target target) {
    this.a = a;
    this.target = target;
    parameters.put("a", a);
    parameters.put("target", target.name().toLowerCase(Locale.ROOT));
  }

  @Override
  Set<Field> required() {
    return Responses.eastFields(target == Target.GOLD, Field.QUESTION_ID, Field.GOLD_ANSWER);
  }

  @Override
  int observationPasses() {
    return 1;
  }

  /** Training mask of one question (all false when it is dropped for lack of data). */
  private boolean[] trained(List<Candidate> q) {
    String gold = target == Target.MAJORITY ? null : gold(q);
    if (gold == null) {
      return SelfConsistency.lmsiKeep(Responses.answers(q));
    }
    boolean[] keep = new boolean[q.size()];
    for (int i = 0; i < keep.length; i++) {
      keep[i] = SelfConsistency.matches(q.get(i).answer(), gold);
    }
    return keep;
  }

  private static boolean any(boolean[] b) {
    for (boolean x : b) {
      if (x) {
        return true;
      }
    }
    return false;
  }

  /** Entropy over the answer clusters of all parsable responses (wrong ones included). */
  private static double entropy(List<Candidate> q) {
    return East.entropy(SelfConsistency.vote(Responses.answers(q)).clusterCounts());
  }

  @Override
  void observe(int pass, List<Candidate> q) {
    if (questions == h.length) {
      h = Arrays.copyOf(h, 2 * questions);
    }
    // NaN marks a question that is not trained on (not part of the mean).
    h[questions++] = any(trained(q)) ? entropy(q) : Double.NaN;
  }

  @Override
  void endPass(int pass) {
    int m = 0;
    int undefined = 0;
    boolean allZero = allZero();
    double[] kept = new double[questions];
    for (int i = 0; i < questions; i++) {
      if (Double.isNaN(h[i])) {
        continue;
      }
      if (h[i] == 0 && a < 0 && !allZero) {
        undefined++;
        h[i] = Double.NaN;
        continue;
      }
      kept[m++] = h[i];
    }
    int untrained = 0;
    int zeroWeight = 0;
    for (int i = 0; i < questions; i++) {
      untrained += Double.isNaN(h[i]) ? 1 : 0;
    }
    if (untrained > undefined) {
      notes.add((untrained - undefined) + " question(s) dropped: no response to train on");
    }
    if (undefined > 0) {
      notes.add(undefined + " question(s) with entropy 0 dropped: h^a is undefined for a = " + a
          + " < 0");
    }
    double[] weights = m == 0 ? new double[0] : East.weights(Arrays.copyOf(kept, m), a);
    f = new double[questions];
    for (int i = 0, j = 0; i < questions; i++) {
      f[i] = Double.isNaN(h[i]) ? Double.NaN : weights[j++];
      zeroWeight += f[i] == 0 ? 1 : 0;
    }
    if (zeroWeight > 0) {
      notes.add(zeroWeight + " question(s) with entropy 0 get weight 0 (a = " + a + " > 0)");
    }
  }

  private boolean allZero() {
    for (int i = 0; i < questions; i++) {
      if (!Double.isNaN(h[i]) && h[i] != 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  Decision[] decide(List<Candidate> q) {
    int qi = next++;
    boolean[] trained = trained(q);
    double weight = f[qi];
    Double entropy = any(trained) ? entropy(q) : null;
    Decision[] d = new Decision[q.size()];
    for (int i = 0; i < d.length; i++) {
      // Weight 0 (h = 0 with a > 0) trains on nothing: report it as not kept.
      boolean keep = trained[i] && !Double.isNaN(weight) && weight > 0;
      d[i] = new Decision(keep ? weight : 0.0, keep, entropyField(entropy));
    }
    return d;
  }

  private static Map<String, Object> entropyField(Double entropy) {
    Map<String, Object> m = new HashMap<>();
    m.put("entropy", entropy);
    return m;
  }

  @Override
  String streaming() {
    return "two passes (the mean of h^a runs over the whole input); memory: 8 bytes per question"
        + " plus one question at a time; needs a file, not stdin";
  }
}
