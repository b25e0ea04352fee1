package dev.reweigh.cli;

/** The JSONL input fields (snake_case), see README.md. */
enum Field {
  QUESTION_ID("question_id"),
  RESPONSE_ID("response_id"),
  ANSWER("answer"),
  GOLD_ANSWER("gold_answer"),
  LOSS("loss"),
  LOG_PROB_SUM("log_prob_sum"),
  TOKEN_COUNT("token_count");

  final String json;

  Field(String json) {
    this.json = json;
  }
}
