package dev.reweigh.spark;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.Iwsi;
import dev.reweigh.weighting.SelfConsistency;
import java.util.List;

/**
 * iwsi-w: majority filter, then weight min(Lv / L_i, C) (Jiang et al., arXiv:2408.09849, Eq. 7;
 * docs/methods.md §2).
 */
record IwsiClippedRule(double validMeanLoss, double clip) implements UnitRule {

  @Override
  public Object[][] decide(List<Candidate> q) {
    boolean[] majority = SelfConsistency.lmsiKeep(Responses.answers(q));
    double[] w = Iwsi.clippedWeights(Responses.losses(q), validMeanLoss, clip);
    return UnitRule.rows(q.size(), i -> new Object[] {majority[i] ? w[i] : 0.0, majority[i]});
  }
}
