package dev.reweigh.cli.unit;

import dev.reweigh.weighting.AnswerNormalizer;
import dev.reweigh.weighting.SelfConsistency;
import dev.reweigh.weighting.Sharpening;
import dev.reweigh.weighting.Sharpening.SelfReward;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * What the methods read from one unit of candidates (a question's responses, or a batch), in
 * input order (docs/methods.md §1, §3, §4).
 */
public final class Responses {

  private Responses() {}

  /**
   * Reports two rows of one question whose gold answers disagree.
   *
   * @param <R> the row type
   */
  @FunctionalInterface
  public interface GoldConflict<R> {
    /**
     * @param row the row whose gold answer differs
     * @param first the first row that had a gold answer
     * @param gold that first row's gold answer
     * @return the exception to throw
     */
    RuntimeException at(R row, R first, String gold);
  }

  /**
   * The best-of-N choice of one question under a self-reward (Huang et al., arXiv:2412.01951,
   * Section 3.1, Eq. 2; docs/methods.md §4).
   *
   * @param rewards each response's self-reward, in order
   * @param best the kept response's index, or -1 when none is kept
   */
  public record BestOfN(double[] rewards, int best) {}

  /**
   * @param unit the unit's rows
   * @return the answers of a unit, in order (null = unparsable)
   */
  public static List<String> answers(List<? extends Response> unit) {
    List<String> a = new ArrayList<>(unit.size());
    for (Response c : unit) {
      a.add(c.answer());
    }
    return a;
  }

  /**
   * @param unit the unit's rows, each with a loss (the method requires the field)
   * @return the losses of a unit, in order
   */
  public static double[] losses(List<? extends Response> unit) {
    double[] l = new double[unit.size()];
    for (int i = 0; i < l.length; i++) {
      l[i] = unit.get(i).loss();
    }
    return l;
  }

  /**
   * The question's gold answer: the gold answer of its rows, which must agree (as answers do,
   * after normalisation).
   *
   * @param <R> the row type
   * @param question the question's rows
   * @param conflict builds the error for two rows that disagree
   * @return the gold answer, or {@code null} when no row has one
   */
  public static <R extends Response> String gold(List<R> question, GoldConflict<R> conflict) {
    String gold = null;
    R from = null;
    for (R c : question) {
      if (AnswerNormalizer.normalize(c.goldAnswer()) == null) {
        continue; // absent, null or blank
      }
      if (from == null) {
        gold = c.goldAnswer();
        from = c;
      } else if (!SelfConsistency.matches(c.goldAnswer(), gold)) {
        throw conflict.at(c, from, gold);
      }
    }
    return gold;
  }

  /**
   * The fields EAST reads, as constants of the caller's field enum: the question id, and the gold
   * answer when the trained-on responses are the gold-correct ones (docs/methods.md §3).
   *
   * @param <F> the field enum
   * @param gold whether the target is GOLD
   * @param questionId the question id field
   * @param goldAnswer the gold answer field
   * @return the required fields
   */
  public static <F extends Enum<F>> Set<F> eastFields(boolean gold, F questionId, F goldAnswer) {
    return gold ? EnumSet.of(questionId, goldAnswer) : EnumSet.of(questionId);
  }

  /**
   * The fields sharpening-sft reads under {@code reward}, as constants of the caller's field
   * enum.
   *
   * @param <F> the field enum
   * @param reward the self-reward
   * @param questionId the question id field
   * @param logProbSum the log pi(y|x) field
   * @param tokenCount the |y| field
   * @return the required fields
   */
  public static <F extends Enum<F>> Set<F> sharpeningFields(
      SelfReward reward, F questionId, F logProbSum, F tokenCount) {
    Set<F> s = EnumSet.of(questionId);
    if (reward != SelfReward.MAJORITY) {
      s.add(logProbSum);
    }
    if (reward == SelfReward.LENGTH_NORMALIZED) {
      s.add(tokenCount);
    }
    return s;
  }

  /**
   * Sharpening's best-of-N over one question: each response's self-reward and the kept index. A
   * MAJORITY question with no parsable answer has no majority and keeps nothing (docs/methods.md
   * §1).
   *
   * @param question the question's rows
   * @param reward the self-reward
   * @param tokenCountName how messages name the token count field
   * @param error builds the exception for a message
   * @return the rewards and the kept index
   */
  public static BestOfN bestOfN(
      List<? extends Response> question,
      SelfReward reward,
      String tokenCountName,
      Function<String, RuntimeException> error) {
    double[] logProbSums = new double[question.size()];
    int[] tokenCounts = new int[question.size()];
    for (int i = 0; i < question.size(); i++) {
      Response c = question.get(i);
      if (reward != SelfReward.MAJORITY) {
        logProbSums[i] = c.logProbSum();
      }
      if (reward == SelfReward.LENGTH_NORMALIZED) {
        if (c.tokenCount() == 0 || c.tokenCount() > Integer.MAX_VALUE) {
          throw error.apply(
              c.where() + ": " + tokenCountName + " = " + c.tokenCount()
                  + " cannot length-normalise (needs 1 <= |y| <= " + Integer.MAX_VALUE + ")");
        }
        tokenCounts[i] = (int) (long) c.tokenCount();
      }
    }
    List<String> answers = answers(question);
    double[] r = Sharpening.rewards(reward, logProbSums, tokenCounts, answers);
    int best =
        reward == SelfReward.MAJORITY && !SelfConsistency.vote(answers).hasMajority()
            ? -1
            : Sharpening.bestOfN(r);
    return new BestOfN(r, best);
  }
}
