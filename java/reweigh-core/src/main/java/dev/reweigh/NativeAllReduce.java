package dev.reweigh;

/**
 * {@link AllReduce} over native memory, host or device: element-wise MAX and SUM over the
 * same-length float32 arrays of every participant, implemented by the trainer over its own
 * collective library (NCCL through torch.distributed for CUDA arrays). Every participant calls
 * the same operations in the same order; on a CUDA device the reduction is ordered after the work
 * queued on {@code stream} and before the work queued on it later.
 */
public interface NativeAllReduce {
  /**
   * {@code target[i]} = max over participants of {@code source[i]}, {@code count} floats on
   * {@code device}; {@code source} is left as it was ({@code target} may be {@code source}).
   */
  void maxInto(Device device, long stream, long source, long target, long count);

  /** {@code count} floats at {@code address} on {@code device}: the sum over participants. */
  void sumInPlace(Device device, long stream, long address, long count);
}
