package dev.reweigh.cli.unit;

/**
 * One candidate (a question's response) as the weighting methods read it; absent optional fields
 * are {@code null}. The CLI's parsed JSONL line and reweigh-spark's validated row both implement
 * it.
 */
public interface Response {

  /** @return where the candidate stands, for messages (a file line, or a row's ids) */
  String where();

  /** @return the extracted answer as text, or {@code null} when absent or unparsable */
  String answer();

  /** @return the gold answer as text, or {@code null} */
  String goldAnswer();

  /** @return the per-sample loss, or {@code null} */
  Double loss();

  /** @return log pi(y|x), or {@code null} */
  Double logProbSum();

  /** @return the token count |y|, or {@code null} */
  Long tokenCount();
}
