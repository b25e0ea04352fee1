package dev.reweigh.cli;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.Iwsi;
import java.util.List;

/**
 * {@code iwsi-w}: majority filter, then weight each kept candidate by min(Lv / L_i, C) (Jiang et
 * al., arXiv:2408.09849, Eq. 7). One pass.
 */
final class IwsiClippedMethod extends MajorityLossMethod {

  private final double clip;

  IwsiClippedMethod(double validMeanLoss, double clip) {
    super(validMeanLoss);
    this.clip = clip;
    parameters.put("clip", clip);
  }

  @Override
  Decision[] decide(List<Candidate> q) {
    boolean[] majority = majority(q);
    double[] w = Iwsi.clippedWeights(Responses.losses(q), validMeanLoss, clip);
    Decision[] d = new Decision[q.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = Decision.of(majority[i] ? w[i] : 0.0, majority[i]);
    }
    return d;
  }

  @Override
  String streaming() {
    return "one pass; memory: one question at a time";
  }
}
