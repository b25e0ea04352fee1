package dev.reweigh.demo.methods;

import dev.reweigh.weighting.Iwsi;
import java.util.ArrayList;
import java.util.List;

/**
 * IWSI (Jiang et al., AAAI 2025, arXiv:2408.09849), Eq. 3-5: among the majority-kept samples,
 * keep the fraction k with the lowest distribution-shift weight wDS = max(Lv/L_i, L_i/Lv), ranked
 * globally; weight 1.
 */
public final class IwsiFilter implements DemoMethod {
  private final double keepFraction;
  private final boolean wholeText;

  public IwsiFilter(double keepFraction, boolean wholeText) {
    this.keepFraction = keepFraction;
    this.wholeText = wholeText;
  }

  @Override
  public String name() {
    return "IWSI";
  }

  @Override
  public Selected select(RoundInput in) {
    IwsiLosses s = IwsiLosses.of(in, wholeText);
    if (s.picks().isEmpty()) {
      return Picks.set(in.pool(), s.picks(), null);
    }
    boolean[] keep = Iwsi.keepLowest(Iwsi.dsWeights(s.losses(), s.validMeanLoss()), keepFraction);
    List<Picks.Pick> kept = new ArrayList<>();
    for (int k = 0; k < keep.length; k++) {
      if (keep[k]) {
        kept.add(s.picks().get(k));
      }
    }
    return Picks.set(in.pool(), kept, null);
  }
}
