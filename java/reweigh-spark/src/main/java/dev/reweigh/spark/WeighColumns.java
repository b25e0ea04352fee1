package dev.reweigh.spark;

import java.io.Serializable;
import java.util.Objects;

/**
 * Input column names; the defaults are the snake_case field names of {@code reweigh weigh}
 * (java/reweigh-cli/README.md). A column a method does not use may be absent.
 *
 * @param questionId the question x; rows of one question need not be contiguous
 * @param responseId the response y (copied through; names the row in error messages)
 * @param answer extracted answer: string or number, null or blank = unparsable
 * @param goldAnswer gold answer (the same for every row of a question)
 * @param loss per-sample loss, a number {@code >= 0}
 * @param logProbSum log pi(y|x), a number
 * @param tokenCount |y| in tokens, an integer {@code >= 0}
 */
public record WeighColumns(
    String questionId,
    String responseId,
    String answer,
    String goldAnswer,
    String loss,
    String logProbSum,
    String tokenCount)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The CLI's names: question_id, response_id, answer, gold_answer, loss, log_prob_sum, token_count. */
  public static final WeighColumns DEFAULT =
      new WeighColumns(
          "question_id", "response_id", "answer", "gold_answer", "loss", "log_prob_sum",
          "token_count");

  /** Rejects null names. */
  public WeighColumns {
    Objects.requireNonNull(questionId, "questionId");
    Objects.requireNonNull(responseId, "responseId");
    Objects.requireNonNull(answer, "answer");
    Objects.requireNonNull(goldAnswer, "goldAnswer");
    Objects.requireNonNull(loss, "loss");
    Objects.requireNonNull(logProbSum, "logProbSum");
    Objects.requireNonNull(tokenCount, "tokenCount");
  }

  /** @return a copy with the question id column renamed */
  public WeighColumns withQuestionId(String name) {
    return new WeighColumns(name, responseId, answer, goldAnswer, loss, logProbSum, tokenCount);
  }

  /** @return a copy with the response id column renamed */
  public WeighColumns withResponseId(String name) {
    return new WeighColumns(questionId, name, answer, goldAnswer, loss, logProbSum, tokenCount);
  }

  /** @return a copy with the answer column renamed */
  public WeighColumns withAnswer(String name) {
    return new WeighColumns(questionId, responseId, name, goldAnswer, loss, logProbSum, tokenCount);
  }

  /** @return a copy with the gold answer column renamed */
  public WeighColumns withGoldAnswer(String name) {
    return new WeighColumns(questionId, responseId, answer, name, loss, logProbSum, tokenCount);
  }

  /** @return a copy with the loss column renamed */
  public WeighColumns withLoss(String name) {
    return new WeighColumns(questionId, responseId, answer, goldAnswer, name, logProbSum, tokenCount);
  }

  /** @return a copy with the log-prob-sum column renamed */
  public WeighColumns withLogProbSum(String name) {
    return new WeighColumns(questionId, responseId, answer, goldAnswer, loss, name, tokenCount);
  }

  /** @return a copy with the token count column renamed */
  public WeighColumns withTokenCount(String name) {
    return new WeighColumns(questionId, responseId, answer, goldAnswer, loss, logProbSum, name);
  }
}
