package dev.reweigh.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reweigh.cli.unit.Response;

/**
 * One parsed input line: a (question, response) candidate with its per-sample statistics. Absent
 * optional fields are {@code null}. {@code node} is the whole input object, copied to the output.
 *
 * @param source file name for messages
 * @param line 1-based line number
 * @param node the input object
 * @param questionId question_id as text
 * @param answer extracted answer as text, {@code null} when absent, null or unparsable
 * @param goldAnswer gold_answer as text, or {@code null}
 * @param loss per-sample loss, or {@code null}
 * @param logProbSum log_prob_sum, or {@code null}
 * @param tokenCount token_count, or {@code null}
 */
record Candidate(
    String source,
    long line,
    ObjectNode node,
    String questionId,
    String answer,
    String goldAnswer,
    Double loss,
    Double logProbSum,
    Long tokenCount)
    implements Response {

  /** "FILE line N" for messages. */
  @Override
  public String where() {
    return source + " line " + line;
  }
}
