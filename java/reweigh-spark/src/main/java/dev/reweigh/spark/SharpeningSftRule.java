package dev.reweigh.spark;

import dev.reweigh.weighting.SelfConsistency;
import dev.reweigh.weighting.Sharpening;
import dev.reweigh.weighting.Sharpening.SelfReward;
import java.util.List;
import org.apache.spark.sql.types.StructField;

/**
 * sharpening-sft: keep the best-of-N response of each question by a self-reward, weight 1 (Huang
 * et al., arXiv:2412.01951, Section 3.1, Eq. 2; docs/methods.md §4).
 */
final class SharpeningSftRule implements UnitRule {
  private static final long serialVersionUID = 1L;

  private final SelfReward reward;
  private final String tokenCountColumn;

  SharpeningSftRule(SelfReward reward, String tokenCountColumn) {
    this.reward = reward;
    this.tokenCountColumn = tokenCountColumn;
  }

  @Override
  public StructField[] fields() {
    return new StructField[] {Outputs.WEIGHT, Outputs.KEEP, Outputs.REWARD};
  }

  @Override
  public Object[][] decide(List<Candidate> q) {
    double[] logProbSums = new double[q.size()];
    int[] tokenCounts = new int[q.size()];
    for (int i = 0; i < q.size(); i++) {
      Candidate c = q.get(i);
      if (reward != SelfReward.MAJORITY) {
        logProbSums[i] = c.logProbSum();
      }
      if (reward == SelfReward.LENGTH_NORMALIZED) {
        if (c.tokenCount() == 0 || c.tokenCount() > Integer.MAX_VALUE) {
          throw new WeighInputException(
              c.where() + ": column \"" + tokenCountColumn + "\" = " + c.tokenCount()
                  + " cannot length-normalise (needs 1 <= |y| <= " + Integer.MAX_VALUE + ")");
        }
        tokenCounts[i] = (int) (long) c.tokenCount();
      }
    }
    List<String> answers = Answers.of(q);
    double[] r = Sharpening.rewards(reward, logProbSums, tokenCounts, answers);
    // MAJORITY: a question with no parsable answer has no majority and is dropped (§1).
    int best =
        reward == SelfReward.MAJORITY && !SelfConsistency.vote(answers).hasMajority()
            ? -1
            : Sharpening.bestOfN(r);
    Object[][] d = new Object[q.size()][];
    for (int i = 0; i < d.length; i++) {
      d[i] = new Object[] {i == best ? 1.0 : 0.0, i == best, r[i]};
    }
    return d;
  }
}
