package dev.reweigh;

/**
 * A native failure that is not the caller's input: a CUDA error, native memory exhaustion or an
 * internal error. Bad input is always an {@link IllegalArgumentException} instead.
 */
public class ReweighNativeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String status;

  public ReweighNativeException(String status, String message) {
    super(status + ": " + message);
    this.status = status;
  }

  /** The native status name, e.g. {@code CUDA} or {@code OUT_OF_MEMORY}. */
  public String status() {
    return status;
  }
}
