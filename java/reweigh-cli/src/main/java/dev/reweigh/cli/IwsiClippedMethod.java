package dev.reweigh.cli;

import dev.reweigh.weighting.Iwsi;
import dev.reweigh.weighting.SelfConsistency;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code iwsi-w}: majority filter, then weight each kept candidate by min(Lv / L_i, C) (Jiang et
 * al., arXiv:2408.09849, Eq. 7). One pass.
 */
final class IwsiClippedMethod extends Method {

  private final double validMeanLoss;
  private final double clip;

  IwsiClippedMethod(double validMeanLoss, double clip) {
    this.validMeanLoss = validMeanLoss;
    this.clip = clip;
    parameters.put("valid_mean_loss", validMeanLoss);
    parameters.put("clip", clip);
  }

  @Override
  Set<Field> required() {
    return EnumSet.of(Field.QUESTION_ID, Field.LOSS);
  }

  @Override
  Decision[] decide(List<Candidate> q) {
    boolean[] majority = SelfConsistency.lmsiKeep(answers(q));
    double[] w = Iwsi.clippedWeights(losses(q), validMeanLoss, clip);
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
