package dev.reweigh.spark;

/**
 * Invalid input data: the message names the row (question_id and response_id) and the column, or
 * the column and its type when the whole column is unusable.
 */
public final class WeighInputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what is wrong, naming the row and the column
   */
  public WeighInputException(String message) {
    super(message);
  }

  /**
   * @param message what is wrong, naming the row and the column
   * @param cause the core library's message about the same values
   */
  public WeighInputException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * The first {@code WeighInputException} in {@code t}'s cause chain: Spark reports an error
   * thrown inside a task as a {@code SparkException} whose cause is the original exception.
   *
   * @param t a failure, possibly from a Spark job
   * @return the input error, or {@code null} when the chain has none
   */
  public static WeighInputException in(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof WeighInputException w) {
        return w;
      }
    }
    return null;
  }
}
