package dev.reweigh.cli;

/** Malformed or invalid input; the message names the file and line. Exit code 1. */
final class InputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  InputException(String message) {
    super(message);
  }

  InputException(String message, Throwable cause) {
    super(message, cause);
  }
}
