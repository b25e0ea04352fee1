package dev.reweigh.demo.methods;

import dev.reweigh.weighting.Iwsi;
import java.util.List;

/**
 * IWSI's inputs (Jiang et al., AAAI 2025, arXiv:2408.09849): the losses L_i of the majority-kept
 * samples and the validation mean loss Lv (Eq. 8), both from the round's single scoring pass and
 * over the same span: the whole "Q: ... A: ..." text (the reference code's choice) or the
 * response only.
 */
record IwsiLosses(List<Picks.Pick> picks, double[] losses, double validMeanLoss) {

  static IwsiLosses of(RoundInput in, boolean wholeText) {
    List<Picks.Pick> picks = Picks.majority(in.pool());
    double[] all = wholeText ? in.scores().wholeLoss() : in.scores().responseLoss();
    double[] l = new double[picks.size()];
    for (int k = 0; k < l.length; k++) {
      l[k] = all[in.index(picks.get(k).q(), picks.get(k).i())];
    }
    double[] v = wholeText ? in.valid().wholeLoss() : in.valid().responseLoss();
    return new IwsiLosses(picks, l, Iwsi.validMeanLoss(v));
  }
}
