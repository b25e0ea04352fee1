package dev.reweigh;

/**
 * NaN or +infinity in the logits of a counted row, reported when {@link LossSpec#checkFinite()} is
 * on instead of propagating into the loss and gradient. The message names the row and column.
 */
public class NonFiniteInputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public NonFiniteInputException(String message) {
    super(message);
  }
}
