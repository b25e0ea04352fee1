package dev.reweigh.demo.methods;

import dev.reweigh.weighting.Iwsi;

/**
 * IWSI-w (Jiang et al., AAAI 2025, arXiv:2408.09849), Eq. 7: every majority-kept sample, weighted
 * by min(Lv / L_i, C) instead of filtered (the paper reports it below IWSI).
 */
public final class IwsiWeighted implements DemoMethod {
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
  public Selected select(RoundInput in) {
    IwsiLosses s = IwsiLosses.of(in, wholeText);
    if (s.picks().isEmpty()) {
      return Picks.set(in.pool(), s.picks(), null);
    }
    return Picks.set(in.pool(), s.picks(), Iwsi.clippedWeights(s.losses(), s.validMeanLoss(), clip));
  }
}
