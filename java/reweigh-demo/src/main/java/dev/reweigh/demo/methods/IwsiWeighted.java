package dev.reweigh.demo.methods;

import dev.reweigh.weighting.Iwsi;

/**
 * IWSI-w (Jiang et al., AAAI 2025, arXiv:2408.09849), Eq. 7: every majority-kept sample, weighted
 * by min(Lv / L_i, C) instead of filtered (the paper reports it below IWSI).
 */
public final class IwsiWeighted implements Method {
  private final double clip;
  private final boolean wholeText;

  public IwsiWeighted(double clip, boolean wholeText) {
    this.clip = clip;
    this.wholeText = wholeText;
  }

  @Override
  public String name() {
    return "IWSI-w";
  }

  @Override
  public TrainingSet build(RoundInput in) {
    IwsiScores s = IwsiScores.compute(in, wholeText);
    if (s.picks().isEmpty()) {
      return Selection.set(in.pool(), s.picks(), null);
    }
    return Selection.set(in.pool(), s.picks(), Iwsi.clippedWeights(s.losses(), s.validMeanLoss(), clip));
  }
}
