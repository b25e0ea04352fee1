package dev.reweigh;

import java.lang.ref.Reference;

/**
 * The calls of a framework adapter (reweigh-pytorch's {@code TorchLoss}, reweigh-nd4j's {@code
 * Nd4jLoss}, or your own) written once: argument checks in a fixed order, then one {@link
 * FusedLoss} call over the framework's memory, with every array kept reachable until the kernel
 * has returned. The batch and statistics are an {@link AdapterBatch} and an {@link AdapterStats},
 * whose native views the calls read. A subclass supplies what differs between frameworks: how to
 * allocate the outputs, check a float vector, take an address and wrap the result.
 *
 * @param <A> the framework's array type (e.g. a libtorch {@code Tensor})
 * @param <B> the adapter's batch type
 * @param <S> the adapter's statistics type
 * @param <R> the adapter's forward-backward result type
 */
public abstract class AdapterLoss<A, B extends AdapterBatch<A>, S extends AdapterStats<A>, R> {

  /** For subclasses. */
  protected AdapterLoss() {}

  /**
   * Outputs for the per-sample and per-row statistics of {@code batch}, in the framework's memory.
   *
   * @param batch the batch
   * @return new, unfilled statistics
   */
  protected abstract S allocateStats(B batch);

  /**
   * Throws an {@link IllegalArgumentException} naming {@code name} unless {@code array} is a
   * dense float32 vector of {@code n} elements the kernels can read for {@code batch}.
   *
   * @param array the array
   * @param name its name in the message
   * @param n the required element count
   * @param batch the batch (its device, for frameworks with several)
   */
  protected abstract void requireFloatVector(A array, String name, long n, B batch);

  /**
   * The address of element 0 of an array already checked.
   *
   * @param array the array
   * @return its address; 0 for an empty array
   */
  protected abstract long address(A array);

  /**
   * The gradient output {@code grad}, checked against the logits of {@code batch} (shape, dtype,
   * device, row layout).
   *
   * @param batch the batch
   * @param grad a non-null array
   * @return its native description
   */
  protected abstract NativeGrad grad(B batch, A grad);

  /**
   * Heap coefficients as a float32 vector in the batch's memory.
   *
   * @param batch the batch
   * @param coefficients c_s, already checked by {@link AdapterChecks#requireCoefficients}
   * @return the vector
   */
  protected abstract A floats(B batch, float[] coefficients);

  /**
   * A one-element float64 output for the objective, in the batch's memory.
   *
   * @param batch the batch
   * @return the output
   */
  protected abstract A newTotal(B batch);

  /**
   * The forward-backward result.
   *
   * @param total the output of {@link #newTotal}, written by the kernel
   * @param stats the statistics, written by the kernel
   * @return the adapter's result
   */
  protected abstract R result(A total, S stats);

  /**
   * Per-sample and per-row statistics.
   *
   * @param batch the batch
   * @param spec the loss options
   * @return the statistics
   */
  public final S forward(B batch, LossSpec spec) {
    requireBatch(batch, spec);
    S st = allocateStats(batch);
    try {
      FusedLoss.forward(batch.nativeBatch(), spec, st.nativeStats());
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(st);
    }
    return st;
  }

  /**
   * Statistics, objective and gradient in one pass.
   *
   * @param batch the batch
   * @param coefficients float32 {@code [samples]} in the batch's memory
   * @param spec the loss options
   * @param grad an array shaped and typed like the logits, or {@code null} for in place
   * @return the objective and the statistics
   */
  public final R forwardBackward(B batch, A coefficients, LossSpec spec, A grad) {
    requireBatch(batch, spec);
    NativeBatch nb = batch.nativeBatch();
    requireFloatVector(coefficients, "coefficients", nb.samples(), batch);
    NativeGrad g = grad == null ? NativeGrad.inPlace(nb) : grad(batch, grad);
    S st = allocateStats(batch);
    A total = newTotal(batch);
    try {
      FusedLoss.forwardBackward(
          nb, address(coefficients), spec, g, st.nativeStats(), address(total));
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(coefficients);
      Reference.reachabilityFence(grad);
      Reference.reachabilityFence(st);
      Reference.reachabilityFence(total);
    }
    return result(total, st);
  }

  /**
   * {@link #forwardBackward(AdapterBatch, Object, LossSpec, Object)} with heap coefficients.
   *
   * @param batch the batch
   * @param coefficients c_s, one per sample
   * @param spec the loss options
   * @param grad an array shaped and typed like the logits, or {@code null} for in place
   * @return the objective and the statistics
   */
  public final R forwardBackward(B batch, float[] coefficients, LossSpec spec, A grad) {
    requireBatch(batch, spec);
    return forwardBackward(batch, heapCoefficients(batch, coefficients), spec, grad);
  }

  /**
   * The gradient alone, from the statistics of {@link #forward} on the same batch and options.
   *
   * @param batch the batch
   * @param stats statistics of a forward call on {@code batch}
   * @param coefficients float32 {@code [samples]} in the batch's memory
   * @param spec the loss options
   * @param grad an array shaped and typed like the logits, or {@code null} for in place
   */
  public final void backward(B batch, S stats, A coefficients, LossSpec spec, A grad) {
    requireBatch(batch, spec);
    AdapterChecks.requireNonNull(stats, "stats");
    NativeBatch nb = batch.nativeBatch();
    A lse = stats.rowLse();
    requireFloatVector(lse, "stats.rowLse", nb.rows(), batch);
    requireFloatVector(coefficients, "coefficients", nb.samples(), batch);
    NativeGrad g = grad == null ? NativeGrad.inPlace(nb) : grad(batch, grad);
    try {
      FusedLoss.backward(nb, address(lse), address(coefficients), spec, g);
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(stats);
      Reference.reachabilityFence(coefficients);
      Reference.reachabilityFence(grad);
    }
  }

  /**
   * {@link #backward(AdapterBatch, AdapterStats, Object, LossSpec, Object)} with heap coefficients.
   *
   * @param batch the batch
   * @param stats statistics of a forward call on {@code batch}
   * @param coefficients c_s, one per sample
   * @param spec the loss options
   * @param grad an array shaped and typed like the logits, or {@code null} for in place
   */
  public final void backward(B batch, S stats, float[] coefficients, LossSpec spec, A grad) {
    requireBatch(batch, spec);
    backward(batch, stats, heapCoefficients(batch, coefficients), spec, grad);
  }

  private A heapCoefficients(B batch, float[] coefficients) {
    AdapterChecks.requireCoefficients(coefficients, batch.nativeBatch().samples());
    return floats(batch, coefficients);
  }

  private static void requireBatch(Object batch, LossSpec spec) {
    AdapterChecks.requireNonNull(batch, "batch");
    AdapterChecks.requireNonNull(spec, "spec");
  }
}
