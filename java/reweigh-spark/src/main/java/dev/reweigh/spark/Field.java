package dev.reweigh.spark;

import java.util.function.Function;

/** The input fields a method may read (named by {@link WeighColumns}). */
enum Field {
  QUESTION_ID(WeighColumns::questionId),
  RESPONSE_ID(WeighColumns::responseId),
  ANSWER(WeighColumns::answer),
  GOLD_ANSWER(WeighColumns::goldAnswer),
  LOSS(WeighColumns::loss),
  LOG_PROB_SUM(WeighColumns::logProbSum),
  TOKEN_COUNT(WeighColumns::tokenCount);

  private final Function<WeighColumns, String> name;

  Field(Function<WeighColumns, String> name) {
    this.name = name;
  }

  /** This field's column name under {@code c}. */
  String column(WeighColumns c) {
    return name.apply(c);
  }
}
