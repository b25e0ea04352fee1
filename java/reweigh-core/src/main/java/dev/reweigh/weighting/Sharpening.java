package dev.reweigh.weighting;

import java.util.List;

/**
 * Sharpening: self-improvement by a self-reward without any external signal.
 *
 * <p>Implements Huang et al. (ICLR 2025), "Self-Improvement in Language Models: The Sharpening
 * Mechanism", arXiv:2412.01951: the self-rewards (Eq. 2 sequence log-probability, its
 * length-normalised form, and majority answer frequency), best-of-N selection and SFT-Sharpening
 * and the coverage coefficient {@code Ccov} (Eq. 6). The RLHF-Sharpening objectives (Eq. 8
 * squared-loss DPO, sigmoid DPO, XPO) are in {@link Dpo}. docs/methods.md §4.
 *
 * <p>Symbols: {@code log pi_base(y|x)} = {@code logProbSums[i]}, {@code |y|} = {@code
 * tokenCounts[i]}, {@code r_i} = {@code rewards[i]}.
 *
 * @see <a href="https://arxiv.org/abs/2412.01951">arXiv:2412.01951</a>
 */
public final class Sharpening {

  /** N of best-of-N in the paper's SFT-Sharpening experiments (sampled at temperature 1). */
  public static final int DEFAULT_N = 50;

  private Sharpening() {}

  /** The self-rewards of the paper. */
  public enum SelfReward {
    /** Eq. (2): {@code r(y) = log pi_base(y|x)}. */
    SEQUENCE_LOGPROB,
    /** {@code r(y) = log pi_base(y|x) / |y|}, |y| in tokens; {@code |y| = 0} is an error. */
    LENGTH_NORMALIZED,
    /** The response's answer frequency among the n responses (self-consistency). */
    MAJORITY
  }

  /**
   * Best-of-N selection of Huang et al. (ICLR 2025), arXiv:2412.01951: {@code argmax_i r_i}, ties
   * to the lowest index.
   *
   * @param rewards r_i, non-empty, no NaN (infinities allowed)
   * @return the index of the best response
   */
  public static int bestOfN(double[] rewards) {
    Checks.noNaN(rewards, "rewards");
    int best = 0;
    for (int i = 1; i < rewards.length; i++) {
      if (rewards[i] > rewards[best]) {
        best = i;
      }
    }
    return best;
  }

  /**
   * Worst-of-N for the (best, worst) DPO pairs of Huang et al. (ICLR 2025), arXiv:2412.01951:
   * {@code argmin_i r_i}, ties to the lowest index; the rejected side of the (best, worst) pairs
   * for sigmoid DPO ({@link Dpo#sigmoid}).
   *
   * @param rewards r_i, non-empty, no NaN
   * @return the index of the worst response
   */
  public static int worstOfN(double[] rewards) {
    Checks.noNaN(rewards, "rewards");
    int worst = 0;
    for (int i = 1; i < rewards.length; i++) {
      if (rewards[i] < rewards[worst]) {
        worst = i;
      }
    }
    return worst;
  }

  /**
   * SEQUENCE_LOGPROB self-reward, Eq. (2) of Huang et al. (ICLR 2025), arXiv:2412.01951: {@code r_i
   * = log pi_base(y_i|x)}.
   *
   * @param logProbSums log pi_base(y_i|x), finite
   * @return a copy, the rewards
   */
  public static double[] sequenceLogProbRewards(double[] logProbSums) {
    Checks.finite(logProbSums, "logProbSums");
    return logProbSums.clone();
  }

  /**
   * LENGTH_NORMALIZED self-reward of Huang et al. (ICLR 2025), arXiv:2412.01951 (Eq. 2 over |y|):
   * {@code r_i = log pi_base(y_i|x) / |y_i|}.
   *
   * @param logProbSums log pi_base(y_i|x), finite
   * @param tokenCounts |y_i| in tokens, each {@code >= 1}
   * @return the rewards
   */
  public static double[] lengthNormalizedRewards(double[] logProbSums, int[] tokenCounts) {
    Checks.finite(logProbSums, "logProbSums");
    Checks.nonEmpty(tokenCounts, "tokenCounts");
    Checks.sameLength(tokenCounts.length, logProbSums.length, "tokenCounts", "logProbSums");
    double[] r = new double[logProbSums.length];
    for (int i = 0; i < r.length; i++) {
      if (tokenCounts[i] <= 0) {
        throw new IllegalArgumentException(
            "tokenCounts[" + i + "] = " + tokenCounts[i]
                + ": LENGTH_NORMALIZED needs |y| >= 1 token");
      }
      r[i] = logProbSums[i] / tokenCounts[i];
    }
    return r;
  }

  /**
   * MAJORITY self-reward of Huang et al. (ICLR 2025), arXiv:2412.01951: {@code r_i} = the frequency
   * of response i's answer among all n responses ({@link SelfConsistency.Vote#frequency}); 0 for an
   * unparsable answer.
   *
   * @param answers extracted answers in response order
   * @return the rewards, in [0, 1]
   */
  public static double[] majorityRewards(List<String> answers) {
    Checks.nonEmpty(answers, "answers");
    SelfConsistency.Vote vote = SelfConsistency.vote(answers);
    double[] r = new double[answers.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = vote.frequency(i);
    }
    return r;
  }

  /**
   * Self-rewards of Huang et al. (ICLR 2025), arXiv:2412.01951 for one prompt's responses for the
   * chosen self-reward; the inputs that reward does not use may be {@code null}.
   *
   * @param reward which self-reward
   * @param logProbSums log pi_base(y_i|x) (SEQUENCE_LOGPROB, LENGTH_NORMALIZED)
   * @param tokenCounts |y_i| (LENGTH_NORMALIZED)
   * @param answers extracted answers (MAJORITY)
   * @return r_i
   */
  public static double[] rewards(
      SelfReward reward, double[] logProbSums, int[] tokenCounts, List<String> answers) {
    if (reward == null) {
      throw new IllegalArgumentException("reward is null");
    }
    switch (reward) {
      case SEQUENCE_LOGPROB:
        return sequenceLogProbRewards(logProbSums);
      case LENGTH_NORMALIZED:
        return lengthNormalizedRewards(logProbSums, tokenCounts);
      case MAJORITY:
        return majorityRewards(answers);
      default:
        throw new AssertionError(reward);
    }
  }

  /**
   * SFT-Sharpening selection of Huang et al. (ICLR 2025), arXiv:2412.01951 for one prompt: the
   * best-of-N response by the chosen self-reward, which is then fine-tuned on with plain NLL
   * (weight 1).
   *
   * @param reward which self-reward
   * @param logProbSums log pi_base(y_i|x)
   * @param tokenCounts |y_i|
   * @param answers extracted answers
   * @return the index of the response to train on
   */
  public static int sftSelect(
      SelfReward reward, double[] logProbSums, int[] tokenCounts, List<String> answers) {
    return bestOfN(rewards(reward, logProbSums, tokenCounts, answers));
  }

  /**
   * Natural log of the coverage coefficient (Eq. 6 of Huang et al. (ICLR 2025), arXiv:2412.01951)
   * {@code Ccov = mean_x 1 / pi_base(y*(x)|x)}, computed as a log-mean-exp of {@code -log
   * pi_base(y*|x)} so that it does not overflow.
   *
   * @param bestLogProbs log pi_base(y*(x)|x) per prompt, finite
   * @return ln Ccov
   */
  public static double logCoverage(double[] bestLogProbs) {
    Checks.finite(bestLogProbs, "bestLogProbs");
    double m = Double.NEGATIVE_INFINITY;
    for (double lp : bestLogProbs) {
      m = Math.max(m, -lp);
    }
    double sum = 0;
    for (double lp : bestLogProbs) {
      sum += Math.exp(-lp - m);
    }
    return m + Math.log(sum / bestLogProbs.length);
  }

  /**
   * The coverage coefficient (Eq. 6 of Huang et al. (ICLR 2025), arXiv:2412.01951) {@code
   * Ccov = mean_x 1 / pi_base(y*(x)|x)}; it predicts how large N must be for best-of-N to find y*.
   * May be +infinity for very unlikely y*; see {@link #logCoverage}.
   *
   * @param bestLogProbs log pi_base(y*(x)|x) per prompt, finite
   * @return Ccov
   */
  public static double coverage(double[] bestLogProbs) {
    return Math.exp(logCoverage(bestLogProbs));
  }
}
