package dev.reweigh;

import java.util.function.ToLongFunction;

/**
 * The statistics of a framework adapter (reweigh-pytorch's {@code TorchStats}, reweigh-nd4j's
 * {@code Nd4jStats}, or your own) as the framework's arrays, which the kernels write in place:
 * per sample {@code loss}, {@code logProbSum}, {@code meanEntropy} float32 and {@code tokenCount}
 * int64 {@code [samples]}; per row {@code rowLse}, {@code rowLogp}, {@code rowEntropy} float32
 * {@code [rows]} (0 on ignored rows). {@code rowLse} is the input of the backward call. A
 * subclass says how its framework allocates a vector and takes its address; the fields, their
 * order and their native view are written once here (docs/design.md §4).
 *
 * @param <A> the framework's array type (e.g. a libtorch {@code Tensor})
 */
public abstract class AdapterStats<A> {

  /**
   * Allocates one output vector in the framework's memory.
   *
   * @param <A> the framework's array type
   */
  @FunctionalInterface
  protected interface Allocator<A> {
    /**
     * @param n the element count
     * @param int64 true for an int64 vector, false for float32
     * @return a new, unfilled dense vector
     */
    A allocate(long n, boolean int64);
  }

  private final A loss;
  private final A logProbSum;
  private final A tokenCount;
  private final A meanEntropy;
  private final A rowLse;
  private final A rowLogp;
  private final A rowEntropy;
  private final ToLongFunction<A> address;

  /**
   * Allocates the seven outputs.
   *
   * @param samples the batch's sample count
   * @param rows the batch's row count
   * @param allocator allocates one vector
   * @param address the address of element 0 of a vector this allocator made
   */
  protected AdapterStats(
      long samples, long rows, Allocator<A> allocator, ToLongFunction<A> address) {
    this.loss = allocator.allocate(samples, false);
    this.logProbSum = allocator.allocate(samples, false);
    this.tokenCount = allocator.allocate(samples, true);
    this.meanEntropy = allocator.allocate(samples, false);
    this.rowLse = allocator.allocate(rows, false);
    this.rowLogp = allocator.allocate(rows, false);
    this.rowEntropy = allocator.allocate(rows, false);
    this.address = address;
  }

  /**
   * The kernels' view of these outputs.
   *
   * @return their addresses (valid while this object is reachable)
   */
  public final NativeStats nativeStats() {
    return NativeStats.builder()
        .loss(address.applyAsLong(loss))
        .logProbSum(address.applyAsLong(logProbSum))
        .tokenCount(address.applyAsLong(tokenCount))
        .meanEntropy(address.applyAsLong(meanEntropy))
        .rowLse(address.applyAsLong(rowLse))
        .rowLogp(address.applyAsLong(rowLogp))
        .rowEntropy(address.applyAsLong(rowEntropy))
        .build();
  }

  /** @return per-sample loss (MEAN or SUM over counted rows), float32 {@code [samples]} */
  public final A loss() {
    return loss;
  }

  /** @return per-sample sum of target log-probs, float32 {@code [samples]} */
  public final A logProbSum() {
    return logProbSum;
  }

  /** @return per-sample counted rows, int64 {@code [samples]} */
  public final A tokenCount() {
    return tokenCount;
  }

  /** @return per-sample mean entropy, float32 {@code [samples]} */
  public final A meanEntropy() {
    return meanEntropy;
  }

  /** @return per-row log-sum-exp, float32 {@code [rows]}: the input of the backward call */
  public final A rowLse() {
    return rowLse;
  }

  /** @return per-row target log-prob, float32 {@code [rows]} */
  public final A rowLogp() {
    return rowLogp;
  }

  /** @return per-row entropy, float32 {@code [rows]} */
  public final A rowEntropy() {
    return rowEntropy;
  }
}
