package dev.reweigh.spark;

/** The input fields a method may read (named by {@link WeighColumns}). */
enum Field {
  QUESTION_ID,
  RESPONSE_ID,
  ANSWER,
  GOLD_ANSWER,
  LOSS,
  LOG_PROB_SUM,
  TOKEN_COUNT;

  /** This field's column name under {@code c}. */
  String column(WeighColumns c) {
    switch (this) {
      case QUESTION_ID:
        return c.questionId();
      case RESPONSE_ID:
        return c.responseId();
      case ANSWER:
        return c.answer();
      case GOLD_ANSWER:
        return c.goldAnswer();
      case LOSS:
        return c.loss();
      case LOG_PROB_SUM:
        return c.logProbSum();
      case TOKEN_COUNT:
        return c.tokenCount();
      default:
        throw new AssertionError(this);
    }
  }
}
