package dev.reweigh.cli;

import dev.reweigh.cli.unit.Responses;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A curation method of {@code reweigh weigh}. The input is read {@code observationPasses() + 1}
 * times: each observation pass feeds every unit to {@link #observe}, then the final pass asks
 * {@link #decide} for one {@link Decision} per candidate of each unit, in order.
 */
abstract class WeighMethod {

  final List<String> notes = new ArrayList<>();
  final Map<String, Object> parameters = new LinkedHashMap<>();

  /** Fields every input line must have. */
  abstract Set<Field> required();

  /** How the input is cut into units. */
  UnitReader.Unit unit() {
    return UnitReader.Unit.QUESTION;
  }

  /** Number of lines per unit when {@link #unit()} is BATCH. */
  int batchSize() {
    return 0;
  }

  /** Passes over the input before the decision pass. */
  int observationPasses() {
    return 0;
  }

  /** Sees one unit during observation pass {@code pass} (0-based). */
  void observe(int pass, List<Candidate> unit) {}

  /** Called after observation pass {@code pass}. */
  void endPass(int pass) {}

  /** One decision per candidate of {@code unit}, in order. */
  abstract Decision[] decide(List<Candidate> unit);

  /** Whether the method reads the answer field (for the "no parsable answer" note). */
  boolean usesAnswers() {
    return true;
  }

  /** One line on memory use and passes, for the summary. */
  abstract String streaming();

  /**
   * The question's gold answer: the gold_answer of its lines, which must agree; {@code null} when
   * no line has one.
   */
  static String gold(List<Candidate> question) {
    return Responses.gold(
        question,
        (c, from, gold) ->
            new InputException(
                c.where() + ": gold_answer \"" + c.goldAnswer() + "\" differs from \"" + gold
                    + "\" at line " + from.line() + " of the same question_id \""
                    + c.questionId() + "\""));
  }
}
