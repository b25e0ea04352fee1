package dev.reweigh.demo.methods;

import dev.reweigh.weighting.Sharpening;
import java.util.ArrayList;
import java.util.List;

/**
 * SFT-Sharpening (Huang et al., ICLR 2025, arXiv:2412.01951): for each question, the best-of-N
 * response by the sampling model's own self-reward, trained with plain NLL. No answer, vote or
 * label is used. The reward is the length-normalised log pi_base(y|x) / |y| or the summed log
 * pi_base(y|x) of Eq. 2 (which favours the shortest, step-skipping chains).
 */
public final class SftSharpening implements DemoMethod {
  private final boolean lengthNormalized;

  public SftSharpening(boolean lengthNormalized) {
    this.lengthNormalized = lengthNormalized;
  }

  @Override
  public String name() {
    return lengthNormalized ? "SFT-Sharp" : "SFT-Sharp-sum";
  }

  /** The self-rewards of question q's n responses. */
  static double[] rewards(RoundInput in, int q, boolean lengthNormalized) {
    int n = in.pool().n();
    double[] lp = new double[n];
    int[] len = new int[n];
    for (int i = 0; i < n; i++) {
      lp[i] = in.scores().responseLogProb()[in.index(q, i)];
      len[i] = Math.max(1, in.scores().responseTokens()[in.index(q, i)]);
    }
    return lengthNormalized
        ? Sharpening.lengthNormalizedRewards(lp, len)
        : Sharpening.sequenceLogProbRewards(lp);
  }

  @Override
  public Selected select(RoundInput in) {
    List<Picks.Pick> picks = new ArrayList<>();
    for (int q = 0; q < in.pool().questions(); q++) {
      picks.add(new Picks.Pick(q, Sharpening.bestOfN(rewards(in, q, lengthNormalized))));
    }
    return Picks.set(in.pool(), picks, null);
  }
}
