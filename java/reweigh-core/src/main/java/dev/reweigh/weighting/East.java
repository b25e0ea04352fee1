package dev.reweigh.weighting;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * EAST: entropy-based adaptive weighting for self-training.
 *
 * <p>Implements "Entropy-Based Adaptive Weighting for Self-Training" (EAST), arXiv:2503.23913: the
 * answer-cluster entropy {@code h(x) = -sum_k p_k ln p_k}, the mapping {@code f(h_i) = h_i^a /
 * mean_j h_j^a} (mean over the whole training set, so the mean weight is 1), the paper's
 * accuracy-based {@code (1 - A(x))^a} and rejected-based {@code R(x)^a} baselines normalised the
 * same way, and the DPO pair construction of the EAST code. Formulas and edge cases:
 * docs/methods.md §3.
 *
 * <p>Symbols: {@code h} = {@code entropies}, {@code a} = {@code a} (the paper sweeps [-3, 3]; the
 * code default is {@link #DEFAULT_A}), {@code A} = {@code accuracies}, {@code R} = {@code
 * rejectedFractions}.
 *
 * @see <a href="https://arxiv.org/abs/2503.23913">arXiv:2503.23913</a>
 */
public final class East {

  /** Default exponent a of the EAST code. */
  public static final double DEFAULT_A = 1.0;

  private East() {}

  /**
   * The answer-cluster entropy of EAST, arXiv:2503.23913: entropy over answer clusters in nats:
   * {@code h = -sum_k p_k ln p_k}, {@code p_k = |cluster_k| / n}, n = the sum of the counts. Zero
   * counts contribute nothing.
   *
   * @param clusterCounts |cluster_k|, each {@code >= 0}, sum {@code > 0}
   * @return h in nats, in [0, ln(number of clusters)]
   */
  public static double entropy(int[] clusterCounts) {
    Checks.nonEmpty(clusterCounts, "clusterCounts");
    long n = 0;
    for (int i = 0; i < clusterCounts.length; i++) {
      if (clusterCounts[i] < 0) {
        throw new IllegalArgumentException(
            "clusterCounts[" + i + "] = " + clusterCounts[i] + " is negative");
      }
      n += clusterCounts[i];
    }
    if (n == 0) {
      throw new IllegalArgumentException("clusterCounts sum to 0");
    }
    double h = 0;
    for (int c : clusterCounts) {
      if (c > 0) {
        double p_k = (double) c / n;
        h -= p_k * Math.log(p_k);
      }
    }
    return Math.max(0.0, h); // one cluster: -1 * ln 1 = -0.0; report +0.0
  }

  /**
   * The mapping function of EAST, arXiv:2503.23913: {@code f(h_i) = h_i^a / mean_j h_j^a}, the mean
   * taken over every entry of {@code entropies} (pass the whole training set, not a minibatch), so
   * the weights average to 1. {@code a = 0} gives uniform weights (vanilla self-training), {@code a
   * > 0} favours uncertain questions, {@code a < 0} confident ones. If every h is 0 the weights are
   * uniform; otherwise {@code h_i = 0} gives weight 0 for {@code a > 0}.
   *
   * <p>Computed in log space, {@code f_i = exp(a ln h_i - ln mean_j exp(a ln h_j))}, so large |a|
   * cannot overflow the mean.
   *
   * @param entropies h_i per question, finite and {@code >= 0}
   * @param a the exponent, finite
   * @return f(h_i), mean 1
   * @throws IllegalArgumentException when some {@code h_i = 0} with {@code a < 0} (undefined: drop
   *     that question first), naming the index
   */
  public static double[] weights(double[] entropies, double a) {
    return normalisedPower(entropies, a, "entropies");
  }

  /**
   * Accuracy-based baseline of EAST, arXiv:2503.23913: {@code (1 - A(x))^a / mean (1 - A)^a}, A the
   * fraction of correct responses of the question. Same normalisation and edge cases as {@link
   * #weights} (an all-correct question has base 0).
   *
   * @param accuracies A per question, in [0, 1]
   * @param a the exponent
   * @return the weights, mean 1
   */
  public static double[] accuracyWeights(double[] accuracies, double a) {
    Checks.unitInterval(accuracies, "accuracies");
    double[] base = new double[accuracies.length];
    for (int i = 0; i < base.length; i++) {
      base[i] = 1.0 - accuracies[i];
    }
    return normalisedPower(base, a, "1 - accuracies");
  }

  /**
   * Rejected-based baseline of EAST, arXiv:2503.23913: {@code R(x)^a / mean R^a}, R the size of the
   * largest wrong cluster over n. Same normalisation and edge cases as {@link #weights}.
   *
   * @param rejectedFractions R per question, in [0, 1]
   * @param a the exponent
   * @return the weights, mean 1
   */
  public static double[] rejectedWeights(double[] rejectedFractions, double a) {
    Checks.unitInterval(rejectedFractions, "rejectedFractions");
    return normalisedPower(rejectedFractions, a, "rejectedFractions");
  }

  /** {@code x_i^a / mean_j x_j^a} with the EAST edge cases; x finite and >= 0. */
  private static double[] normalisedPower(double[] x, double a, String name) {
    Checks.losses(x, name);
    Checks.finite(a, "a");
    int n = x.length;
    double[] f = new double[n];
    boolean allZero = true;
    for (double v : x) {
      allZero &= v == 0;
    }
    if (a == 0 || allZero) {
      Arrays.fill(f, 1.0);
      return f;
    }
    double[] logPow = new double[n];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      if (x[i] == 0 && a < 0) {
        throw new IllegalArgumentException(
            name + "[" + i + "] = 0 with a = " + a
                + " < 0 gives an undefined weight (0^a); drop that question");
      }
      logPow[i] = a * Math.log(x[i]); // x = 0, a > 0: -infinity, weight 0
      max = Math.max(max, logPow[i]);
    }
    double sum = 0;
    for (double lp : logPow) {
      sum += Math.exp(lp - max);
    }
    double logMean = max + Math.log(sum / n);
    for (int i = 0; i < n; i++) {
      f[i] = Math.exp(logPow[i] - logMean);
    }
    return f;
  }

  /**
   * A(x) of the accuracy baseline of EAST, arXiv:2503.23913: fraction of responses whose answer
   * equals the gold answer (after normalisation), over all n responses.
   *
   * @param answers the question's extracted answers
   * @param gold the gold answer
   * @return A in [0, 1]
   */
  public static double accuracy(List<String> answers, String gold) {
    Checks.nonEmpty(answers, "answers");
    int correct = 0;
    for (String ans : answers) {
      if (SelfConsistency.matches(ans, gold)) {
        correct++;
      }
    }
    return (double) correct / answers.size();
  }

  /**
   * R(x) of the rejected baseline of EAST, arXiv:2503.23913: size of the largest wrong answer
   * cluster over all n responses (0 when no parsable answer is wrong).
   *
   * @param answers the question's extracted answers
   * @param gold the gold answer
   * @return R in [0, 1]
   */
  public static double rejectedFraction(List<String> answers, String gold) {
    Checks.nonEmpty(answers, "answers");
    SelfConsistency.Cluster c = largestWrongCluster(SelfConsistency.vote(answers), gold);
    return c == null ? 0.0 : (double) c.size() / answers.size();
  }

  /**
   * A DPO preference pair: response indices of the chosen (correct) and rejected (wrong) answers.
   *
   * @param chosen index of a correct response
   * @param rejected index of a response from the most common wrong cluster
   */
  public record Pair(int chosen, int rejected) {}

  /**
   * DPO pair construction of the code of EAST, arXiv:2503.23913: chosen = a correct response,
   * rejected = a response from the most common wrong cluster (a tie goes to the cluster that
   * appears first). Every correct response, in order, is paired with the members of that cluster
   * taken in order and cycled. No pairs when the question has no correct response or no wrong
   * parsable answer.
   *
   * @param answers the question's extracted answers
   * @param gold the gold answer
   * @return the pairs
   */
  public static List<Pair> dpoPairs(List<String> answers, String gold) {
    Checks.nonEmpty(answers, "answers");
    SelfConsistency.Vote vote = SelfConsistency.vote(answers);
    SelfConsistency.Cluster wrong = largestWrongCluster(vote, gold);
    List<Pair> pairs = new ArrayList<>();
    if (wrong == null) {
      return pairs;
    }
    int[] rejected = wrong.members();
    for (int i = 0; i < answers.size(); i++) {
      if (SelfConsistency.matches(answers.get(i), gold)) {
        pairs.add(new Pair(i, rejected[pairs.size() % rejected.length]));
      }
    }
    return pairs;
  }

  private static SelfConsistency.Cluster largestWrongCluster(SelfConsistency.Vote vote, String gold) {
    String g = AnswerNormalizer.normalize(gold);
    SelfConsistency.Cluster best = null;
    for (SelfConsistency.Cluster c : vote.clusters()) {
      if (!c.key().equals(g) && (best == null || c.size() > best.size())) {
        best = c;
      }
    }
    return best;
  }
}
