package dev.reweigh.weighting;

/**
 * Token-level policy-gradient objectives, each returned as a {@link TokenObjective} (value and
 * {@code dF/dlogp_r} per row) for the two-phase {@code FusedLoss.forward} -> objective -> {@code
 * TokenLoss.backward} step (docs/methods.md §8). {@code dev.reweigh.PolicyLoss} computes the same
 * objectives in one pass over the logits, natively; this class is its readable reference (the
 * tests compare the two).
 *
 * <p>Layout: the rows of one batch, sample s owning rows {@code [offsets[s], offsets[s+1])} (the
 * kernel's layout); {@code counted[r]} marks the response tokens the objective averages over
 * (prompt and padding rows are not counted: {@link #countedRows}). Per counted row: {@code logp_r}
 * under the policy being trained ({@code SampleStats.rowLogp()}), {@code oldLogp_r} under the
 * policy that sampled it, optionally {@code refLogp_r} under a frozen reference. The importance
 * ratio is {@code rho_r = exp(logp_r - oldLogp_r)}.
 *
 * <p>The clipped surrogate of one token with advantage A, for which every method here is a choice
 * of clip range, advantages, KL term and normalisation:
 *
 * <pre>
 *   f(rho, A) = min( rho A, clip(rho, 1 - epsLow, 1 + epsHigh) A )
 *   df/dlogp  = rho A   when the unclipped branch is the minimum
 *                       (1 - epsLow <= rho <= 1 + epsHigh, or rho > 1 + epsHigh with A < 0,
 *                        or rho < 1 - epsLow with A > 0)
 *             = 0       otherwise (the clipped branch is constant in logp)
 * </pre>
 *
 * Each objective J is maximised; the returned value is F = -J and {@code dLogp = dF/dlogp_r}.
 */
public final class PolicyGradient {

  private PolicyGradient() {}

  /** How the per-token terms are averaged. */
  public enum Level {
    /**
     * GRPO, arXiv:2402.03300 Eq. (3): the mean over each sequence's counted tokens, then the mean
     * over sequences that have counted tokens ({@code 1/G sum_i 1/|o_i| sum_t}).
     */
    SEQUENCE,
    /** DAPO, arXiv:2503.14476 Eq. (8): one mean over all counted tokens ({@code 1/sum_i |o_i|}). */
    TOKEN
  }

  /**
   * Rows whose target is not the ignore index: the tokens an objective counts.
   *
   * @param targets the batch's targets
   * @param ignoreIndex the LossSpec's ignore index
   * @return counted[r]
   */
  public static boolean[] countedRows(int[] targets, long ignoreIndex) {
    if (targets == null) {
      throw new IllegalArgumentException("targets is null");
    }
    boolean[] counted = new boolean[targets.length];
    for (int r = 0; r < targets.length; r++) {
      counted[r] = targets[r] != ignoreIndex;
    }
    return counted;
  }

  /**
   * GRPO's outcome-supervised advantage, arXiv:2402.03300 §4.1.2: within each group of {@code
   * groupSize} consecutive samples (the G outputs of one question),
   *
   * <pre>
   *   A_i = (r_i - mean(r)) / (std(r) + eps),   std the population standard deviation
   * </pre>
   *
   * A group whose rewards are all equal gets advantage 0 (no learning signal).
   *
   * @param rewards one finite reward per sample, {@code length} a multiple of {@code groupSize}
   * @param groupSize G, {@code >= 1}
   * @param eps {@code >= 0}, finite
   * @return A_i per sample
   */
  public static double[] groupAdvantages(double[] rewards, int groupSize, double eps) {
    Checks.finite(rewards, "rewards");
    if (groupSize < 1 || rewards.length % groupSize != 0) {
      throw new IllegalArgumentException("groupSize = " + groupSize
          + " must be >= 1 and divide rewards.length = " + rewards.length);
    }
    Checks.finite(eps, "eps");
    if (eps < 0) {
      throw new IllegalArgumentException("eps = " + eps + " must be >= 0");
    }
    double[] a = new double[rewards.length];
    for (int g0 = 0; g0 < rewards.length; g0 += groupSize) {
      double mean = 0;
      for (int i = g0; i < g0 + groupSize; i++) {
        mean += rewards[i];
      }
      mean /= groupSize;
      double var = 0;
      for (int i = g0; i < g0 + groupSize; i++) {
        var += (rewards[i] - mean) * (rewards[i] - mean);
      }
      double std = Math.sqrt(var / groupSize);
      for (int i = g0; i < g0 + groupSize; i++) {
        double d = rewards[i] - mean;
        a[i] = d == 0 ? 0 : d / (std + eps);
      }
    }
    return a;
  }

  /**
   * A sequence's advantage on each of its rows, as floats: the per-row advantages {@code
   * dev.reweigh.PolicyLoss} takes (the one-pass step). Rows that are not counted carry their
   * sequence's value too; the kernel does not read them.
   *
   * @param advantages A_i per sample, finite
   * @param offsets samples + 1 row offsets
   * @return A per row
   */
  public static float[] rowAdvantages(double[] advantages, int[] offsets) {
    if (offsets == null || offsets.length < 1) {
      throw new IllegalArgumentException("offsets is null or empty: it needs samples + 1 entries");
    }
    double[] a = perRow(advantages, offsets, new float[offsets[offsets.length - 1]]);
    float[] f = new float[a.length];
    for (int r = 0; r < a.length; r++) {
      f[r] = (float) a[r];
    }
    return f;
  }

  /**
   * GRPO, arXiv:2402.03300 Eq. (3), with the k3 KL estimator of Eq. (4):
   *
   * <pre>
   *   J = mean_seq mean_t [ f(rho_t, A_i) - beta * D_t ]                  (Level.SEQUENCE)
   *   D_t = exp(refLogp_t - logp_t) - (refLogp_t - logp_t) - 1,
   *   dD_t/dlogp_t = 1 - exp(refLogp_t - logp_t)
   * </pre>
   *
   * with clip range [1 - eps, 1 + eps] and every token of sample i carrying A_i ({@link
   * #groupAdvantages}). {@code level = TOKEN} gives the token-level normalisation of DAPO.
   *
   * @param rowLogp logp_r under the policy, finite on counted rows
   * @param oldLogp logp_r under the sampling policy, finite on counted rows
   * @param refLogp logp_r under the reference, finite on counted rows; null when {@code beta == 0}
   * @param offsets samples + 1 row offsets
   * @param counted counted[r], one per row
   * @param advantages A_i per sample, finite
   * @param eps clip range, {@code > 0}
   * @param beta KL coefficient, {@code >= 0}
   * @param level SEQUENCE (the paper) or TOKEN
   * @return F = -J and dF/dlogp_r
   */
  public static TokenObjective grpo(float[] rowLogp, float[] oldLogp, float[] refLogp,
      int[] offsets, boolean[] counted, double[] advantages, double eps, double beta,
      Level level) {
    Checks.positive(eps, "eps");
    return clipped(rowLogp, oldLogp, refLogp, offsets, counted,
        perRow(advantages, offsets, rowLogp), eps, eps, beta, level);
  }

  /**
   * DAPO, arXiv:2503.14476 Eq. (8): the decoupled clip range [1 - epsLow, 1 + epsHigh] (Clip-
   * Higher, e.g. 0.2 and 0.28) and the token-level mean, no KL term:
   *
   * <pre>
   *   J = 1 / sum_i |o_i| * sum_i sum_t min( rho A_i, clip(rho, 1 - epsLow, 1 + epsHigh) A_i )
   * </pre>
   *
   * The paper's dynamic sampling (dropping groups whose rewards are all equal) is a choice of
   * samples made before this call; such groups have advantage 0 here and add only to the count.
   *
   * @param rowLogp logp_r under the policy
   * @param oldLogp logp_r under the sampling policy
   * @param offsets samples + 1 row offsets
   * @param counted counted[r]
   * @param advantages A_i per sample ({@link #groupAdvantages})
   * @param epsLow lower clip range, {@code > 0}
   * @param epsHigh upper clip range, {@code > 0}
   * @return F = -J and dF/dlogp_r
   */
  public static TokenObjective dapo(float[] rowLogp, float[] oldLogp, int[] offsets,
      boolean[] counted, double[] advantages, double epsLow, double epsHigh) {
    Checks.positive(epsLow, "epsLow");
    Checks.positive(epsHigh, "epsHigh");
    return clipped(rowLogp, oldLogp, null, offsets, counted, perRow(advantages, offsets, rowLogp),
        epsLow, epsHigh, 0, Level.TOKEN);
  }

  /**
   * PPO-clip, arXiv:1707.06347 Eq. (7), with per-token advantages (e.g. from GAE) and the
   * empirical mean over counted tokens:
   *
   * <pre>
   *   J = mean_t min( rho_t A_t, clip(rho_t, 1 - eps, 1 + eps) A_t )
   * </pre>
   *
   * @param rowLogp logp_r under the policy
   * @param oldLogp logp_r under the sampling policy
   * @param offsets samples + 1 row offsets
   * @param counted counted[r]
   * @param tokenAdvantages A_r per row, finite on counted rows
   * @param eps clip range, {@code > 0}
   * @return F = -J and dF/dlogp_r
   */
  public static TokenObjective ppoClip(float[] rowLogp, float[] oldLogp, int[] offsets,
      boolean[] counted, double[] tokenAdvantages, double eps) {
    Checks.positive(eps, "eps");
    return clipped(rowLogp, oldLogp, null, offsets, counted, tokenAdvantages, eps, eps, 0,
        Level.TOKEN);
  }

  /**
   * Dynamic fine-tuning, arXiv:2508.05629 (DFT): the SFT loss of each token scaled by its own
   * probability, held constant (stop-gradient), averaged over counted tokens:
   *
   * <pre>
   *   F = 1/N sum_t sg(p_t) * (-logp_t),   p_t = exp(logp_t),   dF/dlogp_t = -sg(p_t) / N
   * </pre>
   *
   * @param rowLogp logp_r of the targets (the SFT labels)
   * @param offsets samples + 1 row offsets
   * @param counted counted[r]
   * @return F and dF/dlogp_r (the stop-gradient makes it -p_t / N, not the derivative of F's
   *     value as a function)
   */
  public static TokenObjective dft(float[] rowLogp, int[] offsets, boolean[] counted) {
    checkLayout(rowLogp, offsets, counted);
    int n = 0;
    for (boolean c : counted) {
      n += c ? 1 : 0;
    }
    final double count = n;
    return sumCountedRows(rowLogp, counted, 1, (r, lp, d) -> {
      double p = Math.exp(lp);
      d[r] = -p / count;
      return p * -lp / count;
    });
  }

  // ---- the shared clipped surrogate ----------------------------------------------------------

  private static TokenObjective clipped(float[] rowLogp, float[] oldLogp, float[] refLogp,
      int[] offsets, boolean[] counted, double[] advantage, double epsLow, double epsHigh,
      double beta, Level level) {
    checkLayout(rowLogp, offsets, counted);
    checkRowArray(oldLogp, rowLogp.length, "oldLogp");
    if (advantage.length != rowLogp.length) {
      throw new IllegalArgumentException("tokenAdvantages.length = " + advantage.length
          + " must equal the number of rows = " + rowLogp.length);
    }
    Checks.finite(beta, "beta");
    if (beta < 0) {
      throw new IllegalArgumentException("beta = " + beta + " must be >= 0");
    }
    if (beta > 0) {
      checkRowArray(refLogp, rowLogp.length, "refLogp");
    }
    if (level == null) {
      throw new IllegalArgumentException("level is null");
    }
    double[] scale = rowScales(offsets, counted, level);
    // F = -J with J = sum_r scale_r term_r.
    return sumCountedRows(rowLogp, counted, -1, (r, lp, d) -> {
      double old = finiteRow(oldLogp, r, "oldLogp");
      double a = advantage[r];
      if (!Double.isFinite(a)) {
        throw new IllegalArgumentException("tokenAdvantages[" + r + "] = " + a + " is not finite");
      }
      double rho = Math.exp(lp - old);
      double clippedRho = Math.min(Math.max(rho, 1 - epsLow), 1 + epsHigh);
      double unclipped = rho * a;
      double clippedTerm = clippedRho * a;
      double term = Math.min(unclipped, clippedTerm);
      double dTerm = unclipped <= clippedTerm ? unclipped : 0; // d(rho A)/dlogp = rho A
      if (beta > 0) {
        double ref = finiteRow(refLogp, r, "refLogp");
        double x = Math.exp(ref - lp);
        term -= beta * (x - (ref - lp) - 1);
        dTerm -= beta * (1 - x);
      }
      d[r] = -scale[r] * dTerm;
      return scale[r] * term;
    });
  }

  /**
   * A term of F for counted row r with its finite log-probability lp: writes dF/dlogp_r to d[r]
   * and returns the row's share of F.
   */
  private interface RowTerm {
    double apply(int r, double lp, double[] d);
  }

  /**
   * F = sign times the sum of term over the counted rows in row order, each rowLogp[r] checked
   * finite.
   */
  private static TokenObjective sumCountedRows(float[] rowLogp, boolean[] counted, double sign,
      RowTerm term) {
    double[] d = new double[rowLogp.length];
    double value = 0;
    for (int r = 0; r < rowLogp.length; r++) {
      if (counted[r]) {
        value += term.apply(r, finiteRow(rowLogp, r, "rowLogp"), d);
      }
    }
    return new TokenObjective(sign * value, d);
  }

  /** The weight of each counted row in the average of {@code level}. */
  private static double[] rowScales(int[] offsets, boolean[] counted, Level level) {
    double[] scale = new double[counted.length];
    int samples = offsets.length - 1;
    if (level == Level.TOKEN) {
      int n = 0;
      for (boolean c : counted) {
        n += c ? 1 : 0;
      }
      for (int r = 0; r < counted.length; r++) {
        scale[r] = counted[r] ? 1.0 / n : 0;
      }
      return scale;
    }
    int withTokens = 0;
    int[] perSample = new int[samples];
    for (int s = 0; s < samples; s++) {
      for (int r = offsets[s]; r < offsets[s + 1]; r++) {
        perSample[s] += counted[r] ? 1 : 0;
      }
      withTokens += perSample[s] > 0 ? 1 : 0;
    }
    for (int s = 0; s < samples; s++) {
      for (int r = offsets[s]; r < offsets[s + 1]; r++) {
        scale[r] = counted[r] ? 1.0 / ((double) perSample[s] * withTokens) : 0;
      }
    }
    return scale;
  }

  /** Sample advantages broadcast to their rows. */
  private static double[] perRow(double[] advantages, int[] offsets, float[] rowLogp) {
    if (rowLogp == null) {
      throw new IllegalArgumentException("rowLogp is null");
    }
    checkOffsets(offsets, rowLogp.length);
    Checks.finite(advantages, "advantages");
    Checks.sameLength(advantages.length, offsets.length - 1, "advantages", "samples (offsets - 1)");
    double[] a = new double[rowLogp.length];
    for (int s = 0; s + 1 < offsets.length; s++) {
      for (int r = offsets[s]; r < offsets[s + 1]; r++) {
        a[r] = advantages[s];
      }
    }
    return a;
  }

  // ---- checks --------------------------------------------------------------------------------

  private static void checkLayout(float[] rowLogp, int[] offsets, boolean[] counted) {
    if (rowLogp == null) {
      throw new IllegalArgumentException("rowLogp is null");
    }
    checkOffsets(offsets, rowLogp.length);
    if (counted == null) {
      throw new IllegalArgumentException("counted is null");
    }
    Checks.sameLength(counted.length, rowLogp.length, "counted", "rowLogp");
  }

  private static void checkOffsets(int[] offsets, int rows) {
    if (offsets == null || offsets.length < 1) {
      throw new IllegalArgumentException("offsets is null or empty: it needs samples + 1 entries");
    }
    if (offsets[0] != 0) {
      throw new IllegalArgumentException("offsets[0] = " + offsets[0] + " must be 0");
    }
    for (int s = 1; s < offsets.length; s++) {
      if (offsets[s] < offsets[s - 1]) {
        throw new IllegalArgumentException("offsets[" + s + "] = " + offsets[s]
            + " is smaller than offsets[" + (s - 1) + "] = " + offsets[s - 1]);
      }
    }
    int last = offsets[offsets.length - 1];
    if (last != rows) {
      throw new IllegalArgumentException("offsets[" + (offsets.length - 1) + "] = " + last
          + " must equal the number of rows = " + rows);
    }
  }

  private static void checkRowArray(float[] a, int rows, String name) {
    if (a == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    Checks.sameLength(a.length, rows, name, "rowLogp");
  }

  private static double finiteRow(float[] a, int r, String name) {
    if (!Float.isFinite(a[r])) {
      throw new IllegalArgumentException(name + "[" + r + "] = " + a[r] + " is not finite");
    }
    return a[r];
  }
}
