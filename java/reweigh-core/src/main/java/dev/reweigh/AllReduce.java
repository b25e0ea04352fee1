package dev.reweigh;

/**
 * The collective operations the sharded loss needs, implemented by the trainer over its own
 * collective library (torch.distributed, MPI, an in-process group): element-wise MAX and SUM over
 * the same-length arrays of every participant, in place. Every participant calls the same
 * operations in the same order; on return each holds the reduced values.
 */
public interface AllReduce {
  /** values[i] = max over participants of values[i]. */
  void maxInPlace(float[] values);

  /** values[i] = sum over participants of values[i]. */
  void sumInPlace(float[] values);

  /** values[i] = sum over participants of values[i] (the data-parallel normaliser). */
  void sumInPlace(double[] values);
}
