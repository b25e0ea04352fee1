package dev.reweigh.demo.methods;

import dev.reweigh.weighting.Iwsi;
import java.util.ArrayList;
import java.util.List;

/**
 * IWSI (Jiang et al., AAAI 2025, arXiv:2408.09849) on the majority-kept samples, scored by their
 * loss L_i against the mean loss Lv on the validation set D_v ({@link IwsiLosses}).
 */
public final class IwsiMethods {
  private IwsiMethods() {}

  /**
   * IWSI, Eq. 3-5: keep the fraction k with the lowest distribution-shift weight wDS = max(Lv/L_i,
   * L_i/Lv), ranked globally; weight 1.
   */
  public static DemoMethod filter(double keepFraction, boolean wholeText) {
    return DemoMethod.of("IWSI", in -> {
      IwsiLosses s = IwsiLosses.of(in, wholeText);
      List<Picks.Pick> kept = new ArrayList<>();
      if (!s.picks().isEmpty()) {
        boolean[] keep = Iwsi.keepLowest(Iwsi.dsWeights(s.losses(), s.validMeanLoss()), keepFraction);
        for (int k = 0; k < keep.length; k++) {
          if (keep[k]) {
            kept.add(s.picks().get(k));
          }
        }
      }
      return Picks.set(in.pool(), kept, null);
    });
  }

  /**
   * IWSI-w, Eq. 7: every majority-kept sample, weighted by min(Lv / L_i, C) instead of filtered
   * (the paper reports it below IWSI).
   */
  public static DemoMethod weighted(double clip, boolean wholeText) {
    return DemoMethod.of("IWSI-w", in -> {
      IwsiLosses s = IwsiLosses.of(in, wholeText);
      return Picks.set(in.pool(), s.picks(),
          s.picks().isEmpty() ? null : Iwsi.clippedWeights(s.losses(), s.validMeanLoss(), clip));
    });
  }
}
