package dev.reweigh.weighting;

/**
 * Preference objectives of RLHF-Sharpening, each returned with its per-sample gradient so the fused
 * backward does the per-token work (docs/methods.md §4 and §7; sign convention in
 * [Note: coefficient sign convention] of {@link Objective}).
 *
 * <p>Samples are indexed s = 0..S-1; every array of per-sample statistics has length S and pairs
 * are given as index arrays into it, so a sample may appear in several pairs (its gradient is the
 * sum). All objectives are <em>sums</em> over pairs, as Eq. (8) is written; use {@link
 * Objective#scaled} with {@code 1 / pairs} (or the kernel's explicit normaliser) for a mean.
 *
 * <p>Symbols: {@code ln pi(y)} = {@code logProbSums[y]} (policy being trained), {@code ln
 * pi_base(y)} = {@code refLogProbSums[y]}, {@code r(y)} = {@code rewards[y]}, {@code beta}, {@code
 * alpha}.
 *
 * @see <a href="https://arxiv.org/abs/2412.01951">Huang et al. (ICLR 2025), arXiv:2412.01951</a>
 * @see <a href="https://arxiv.org/abs/2305.18290">Rafailov et al. (2023), DPO, arXiv:2305.18290</a>
 */
public final class Dpo {

  private Dpo() {}

  /**
   * Eq. (8) of Huang et al. (ICLR 2025), arXiv:2412.01951, squared-loss DPO:
   *
   * <pre>
   *   F = sum_p ( beta*ln(pi(y)/pi_base(y)) - beta*ln(pi(y')/pi_base(y')) - (r(y) - r(y')) )^2
   *   d_p = the bracket;  dF/d ln pi(y) = 2*beta*d_p,  dF/d ln pi(y') = -2*beta*d_p
   * </pre>
   *
   * y = {@code first[p]}, y' = {@code second[p]}. With {@code r = ln pi_base} (pass {@code
   * refLogProbSums} as rewards) the optimum is {@code pi* ~ pi_base^(1 + 1/beta)}.
   *
   * @param logProbSums ln pi(y_s) under the policy, finite
   * @param refLogProbSums ln pi_base(y_s), finite
   * @param rewards self-rewards r(y_s), finite
   * @param first y of each pair
   * @param second y' of each pair, same length as {@code first}
   * @param beta finite and {@code > 0}
   * @return F and dF/dlogProbSum_s
   */
  public static Objective squaredLoss(
      double[] logProbSums,
      double[] refLogProbSums,
      double[] rewards,
      int[] first,
      int[] second,
      double beta) {
    checkSamples(logProbSums, refLogProbSums);
    Checks.finite(rewards, "rewards");
    Checks.sameLength(rewards.length, logProbSums.length, "rewards", "logProbSums");
    checkPairs(first, second, logProbSums.length, "first", "second");
    Checks.positive(beta, "beta");
    return overPairs(logProbSums.length, first, second, (y, y2, slope) -> {
      double d_p =
          beta * (logProbSums[y] - refLogProbSums[y])
              - beta * (logProbSums[y2] - refLogProbSums[y2])
              - (rewards[y] - rewards[y2]);
      slope[0] = 2 * beta * d_p;
      return d_p * d_p;
    });
  }

  /**
   * Standard sigmoid DPO (Rafailov et al. 2023, arXiv:2305.18290, Eq. 7), offered by Huang et al.
   * on (best, worst)-by-self-reward pairs ({@link Sharpening#bestOfN}, {@link
   * Sharpening#worstOfN}):
   *
   * <pre>
   *   z_p = beta*( ln(pi(y_w)/pi_base(y_w)) - ln(pi(y_l)/pi_base(y_l)) )
   *   F   = sum_p -ln sigmoid(z_p) = sum_p softplus(-z_p)
   *   dF/d ln pi(y_w) = -beta*sigmoid(-z_p),  dF/d ln pi(y_l) = +beta*sigmoid(-z_p)
   * </pre>
   *
   * softplus and sigmoid are evaluated in their overflow-free forms.
   *
   * @param logProbSums ln pi(y_s), finite
   * @param refLogProbSums ln pi_base(y_s), finite
   * @param chosen y_w of each pair
   * @param rejected y_l of each pair, same length as {@code chosen}
   * @param beta finite and {@code > 0}
   * @return F and dF/dlogProbSum_s
   */
  public static Objective sigmoid(
      double[] logProbSums, double[] refLogProbSums, int[] chosen, int[] rejected, double beta) {
    checkSamples(logProbSums, refLogProbSums);
    checkPairs(chosen, rejected, logProbSums.length, "chosen", "rejected");
    Checks.positive(beta, "beta");
    return overPairs(logProbSums.length, chosen, rejected, (w, l, slope) -> {
      double z_p =
          beta * ((logProbSums[w] - refLogProbSums[w]) - (logProbSums[l] - refLogProbSums[l]));
      slope[0] = -(beta * sigmoidOf(-z_p));
      return softplus(-z_p);
    });
  }

  /** One pair's term of a pairwise objective. */
  @FunctionalInterface
  private interface PairTerm {
    /**
     * @param a the pair's first sample
     * @param b its second sample
     * @param slope out: {@code slope[0]} = dF_p/d ln pi(y_a) = -dF_p/d ln pi(y_b)
     * @return F_p
     */
    double apply(int a, int b, double[] slope);
  }

  /** F = sum_p F_p and its gradient over the samples, for pairs (a[p], b[p]) checked already. */
  private static Objective overPairs(int samples, int[] a, int[] b, PairTerm term) {
    double[] g = new double[samples];
    double[] slope = new double[1];
    double F = 0;
    for (int p = 0; p < a.length; p++) {
      F += term.apply(a[p], b[p], slope);
      g[a[p]] += slope[0];
      g[b[p]] -= slope[0];
    }
    return new Objective(F, g);
  }

  /**
   * XPO exploration term (Huang et al., App. J.2; Xie et al. 2024, arXiv:2405.21046): {@code
   * F = alpha * sum_{y'} ln pi(y'|x)} over responses y' drawn from pi_base, added to the Eq. (8)
   * objective with {@link Objective#plus}. Minimising it pushes probability away from what the base
   * model already covers. {@code dF/d ln pi(y') = alpha} per occurrence of y'.
   *
   * @param logProbSums ln pi(y_s), finite
   * @param explorationSamples indices of the y' drawn from pi_base
   * @param alpha finite and {@code > 0}
   * @return F and dF/dlogProbSum_s
   */
  public static Objective xpoExploration(
      double[] logProbSums, int[] explorationSamples, double alpha) {
    Checks.finite(logProbSums, "logProbSums");
    Checks.indices(explorationSamples, logProbSums.length, "explorationSamples");
    Checks.positive(alpha, "alpha");
    double[] g = new double[logProbSums.length];
    double F = 0;
    for (int y : explorationSamples) {
      F += alpha * logProbSums[y];
      g[y] += alpha;
    }
    return new Objective(F, g);
  }

  /** {@code ln(1 + e^x)} without overflow. */
  static double softplus(double x) {
    return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }

  /** {@code 1 / (1 + e^-x)} without overflow. */
  static double sigmoidOf(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1 + e);
  }

  private static void checkSamples(double[] logProbSums, double[] refLogProbSums) {
    Checks.finite(logProbSums, "logProbSums");
    Checks.finite(refLogProbSums, "refLogProbSums");
    Checks.sameLength(refLogProbSums.length, logProbSums.length, "refLogProbSums", "logProbSums");
  }

  private static void checkPairs(int[] a, int[] b, int samples, String an, String bn) {
    Checks.indices(a, samples, an);
    Checks.indices(b, samples, bn);
    Checks.sameLength(b.length, a.length, bn, an);
  }
}
