package dev.reweigh.spark;

import dev.reweigh.weighting.Iwsi;
import dev.reweigh.weighting.SelfConsistency;
import java.util.List;
import org.apache.spark.sql.types.StructField;

/**
 * iwsi-w: majority filter, then weight min(Lv / L_i, C) (Jiang et al., arXiv:2408.09849, Eq. 7;
 * docs/methods.md §2).
 */
final class IwsiClippedRule implements UnitRule {
  private static final long serialVersionUID = 1L;

  private final double validMeanLoss;
  private final double clip;

  IwsiClippedRule(double validMeanLoss, double clip) {
    this.validMeanLoss = validMeanLoss;
    this.clip = clip;
  }

  @Override
  public StructField[] fields() {
    return new StructField[] {Outputs.WEIGHT, Outputs.KEEP};
  }

  @Override
  public Object[][] decide(List<Candidate> q) {
    boolean[] majority = SelfConsistency.lmsiKeep(Answers.of(q));
    double[] w = Iwsi.clippedWeights(Answers.losses(q), validMeanLoss, clip);
    Object[][] d = new Object[q.size()][];
    for (int i = 0; i < d.length; i++) {
      d[i] = new Object[] {majority[i] ? w[i] : 0.0, majority[i]};
    }
    return d;
  }
}
