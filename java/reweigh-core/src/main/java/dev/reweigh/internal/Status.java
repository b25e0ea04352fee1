package dev.reweigh.internal;

import dev.reweigh.NonFiniteInputException;
import dev.reweigh.ReweighNativeException;
import dev.reweigh.nativeapi.ReweighNative;

/**
 * The one place native status codes become Java exceptions (docs/style.md §3). The message is the
 * native thread-local last error, which names the argument and the first bad index.
 */
public final class Status {
  public static final int OK = 0;
  public static final int INVALID_ARGUMENT = 1;
  public static final int UNSUPPORTED = 2;
  public static final int NON_FINITE_INPUT = 6;

  private Status() {}

  /** Throws for any status but OK. Must run on the thread that made the native call. */
  public static void check(int status) {
    if (status == OK) {
      return;
    }
    String message = ReweighNative.reweigh_last_error();
    switch (status) {
      case INVALID_ARGUMENT:
        throw new IllegalArgumentException(message);
      case NON_FINITE_INPUT:
        throw new NonFiniteInputException(message);
      case UNSUPPORTED:
        throw new UnsupportedOperationException(message);
      default:
        throw new ReweighNativeException(ReweighNative.reweigh_status_string(status), message);
    }
  }
}
