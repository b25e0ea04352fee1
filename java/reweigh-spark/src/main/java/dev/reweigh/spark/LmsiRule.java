package dev.reweigh.spark;

import dev.reweigh.weighting.SelfConsistency;
import java.util.List;
import org.apache.spark.sql.types.StructField;

/** lmsi: keep the majority-answer responses, weight 1 (docs/methods.md §1). */
final class LmsiRule implements UnitRule {
  private static final long serialVersionUID = 1L;

  @Override
  public StructField[] fields() {
    return new StructField[] {Outputs.WEIGHT, Outputs.KEEP};
  }

  @Override
  public Object[][] decide(List<Candidate> q) {
    boolean[] keep = SelfConsistency.lmsiKeep(Answers.of(q));
    Object[][] d = new Object[q.size()][];
    for (int i = 0; i < d.length; i++) {
      d[i] = Outputs.mask(keep[i]);
    }
    return d;
  }
}
