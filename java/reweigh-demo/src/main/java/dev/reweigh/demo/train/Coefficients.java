package dev.reweigh.demo.train;

/**
 * Per-sample coefficients {@code c_s} of one minibatch. Fixed weights ignore the statistics;
 * DPO's depend on the current policy's log-probs, so the loss step runs forward, asks for the
 * coefficients, then runs backward.
 */
public interface Coefficients {
  /** The coefficients for a batch, given its forward statistics (null when not needed). */
  float[] of(LossStats stats);

  /** Whether {@link #of} reads the statistics (forces a separate forward and backward). */
  default boolean needsStats() {
    return false;
  }

  /** Fixed coefficients. */
  static Coefficients fixed(float[] c) {
    return stats -> c;
  }
}
