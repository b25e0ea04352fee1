package dev.reweigh.spark;

import dev.reweigh.weighting.AnswerNormalizer;
import dev.reweigh.weighting.SelfConsistency;
import java.util.ArrayList;
import java.util.List;

/** Per-question answer helpers shared by the question methods (docs/methods.md §1, §3). */
final class Answers {

  private Answers() {}

  /** The answers of a unit, in order (null = unparsable). */
  static List<String> of(List<Candidate> unit) {
    List<String> a = new ArrayList<>(unit.size());
    for (Candidate c : unit) {
      a.add(c.answer());
    }
    return a;
  }

  /** The losses of a unit, in order (the loss field must be required). */
  static double[] losses(List<Candidate> unit) {
    double[] l = new double[unit.size()];
    for (int i = 0; i < l.length; i++) {
      l[i] = unit.get(i).loss();
    }
    return l;
  }

  /**
   * The question's gold answer: the gold_answer of its rows, which must agree (as answers do,
   * after normalisation); {@code null} when no row has one.
   */
  static String gold(List<Candidate> question, String goldColumn) {
    String gold = null;
    Candidate from = null;
    for (Candidate c : question) {
      if (AnswerNormalizer.normalize(c.goldAnswer()) == null) {
        continue; // absent, null or blank
      }
      if (from == null) {
        gold = c.goldAnswer();
        from = c;
      } else if (!SelfConsistency.matches(c.goldAnswer(), gold)) {
        throw new WeighInputException(
            c.where() + ": column \"" + goldColumn + "\" = \"" + c.goldAnswer()
                + "\" differs from \"" + gold + "\" at " + from.where()
                + " of the same question");
      }
    }
    return gold;
  }
}
