package dev.reweigh.pytorch;

/**
 * Dtype of the weight and bias gradients that {@link FusedLinearLoss} accumulates over row
 * chunks (docs/design.md §6). Each chunk's contribution {@code g^T h} is one GEMM with float32
 * accumulation inside; the choice is where its result is rounded. fp32 heads behave the same
 * under both.
 */
public enum GradAccumulation {
  /**
   * The head's dtype (the default): {@code grad_W = round(grad_W + g^T h)} once per chunk, in
   * the buffer the result is returned in, so a bf16 head holds no {@code [V, H]} float32 array.
   * A bf16 gradient then carries one bf16 rounding (relative 2^-9) per chunk of the running sum
   * instead of libtorch's single rounding of the whole product: with C chunks the added error is
   * at most about C 2^-9 of the largest partial sum and typically sqrt(C) 2^-9, the same as a
   * bf16 trainer accumulating gradients over C micro-batches. Larger chunks mean fewer roundings.
   */
  HEAD_DTYPE,
  /**
   * float32 accumulators, rounded by the caller (or by {@link FusedLinearLoss#step}) once: the
   * whole sum is exact to float32, at the price of a float32 {@code [V, H]} array (twice the
   * bf16 gradient) for the duration of the call.
   */
  FLOAT32
}
