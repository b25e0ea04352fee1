package dev.reweigh;

/**
 * Caller-owned native output buffers for the statistics, in the batch's memory space (for CUDA
 * batches: device memory, so the call never synchronises to copy them out). Every address may be
 * 0 when that output is not wanted. Per-sample buffers hold {@code samples} float32 values
 * ({@code int64} for token counts), per-row buffers {@code rows} float32 values.
 */
public final class NativeStats {
  final long loss;
  final long logProbSum;
  final long tokenCount;
  final long meanEntropy;
  final long rowLse;
  final long rowLogp;
  final long rowEntropy;

  private NativeStats(Builder b) {
    this.loss = b.loss;
    this.logProbSum = b.logProbSum;
    this.tokenCount = b.tokenCount;
    this.meanEntropy = b.meanEntropy;
    this.rowLse = b.rowLse;
    this.rowLogp = b.rowLogp;
    this.rowEntropy = b.rowEntropy;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builder of output addresses; all default to 0 (not wanted). */
  public static final class Builder {
    private long loss;
    private long logProbSum;
    private long tokenCount;
    private long meanEntropy;
    private long rowLse;
    private long rowLogp;
    private long rowEntropy;

    private Builder() {}

    public Builder loss(long address) {
      this.loss = address;
      return this;
    }

    public Builder logProbSum(long address) {
      this.logProbSum = address;
      return this;
    }

    public Builder tokenCount(long address) {
      this.tokenCount = address;
      return this;
    }

    public Builder meanEntropy(long address) {
      this.meanEntropy = address;
      return this;
    }

    public Builder rowLse(long address) {
      this.rowLse = address;
      return this;
    }

    public Builder rowLogp(long address) {
      this.rowLogp = address;
      return this;
    }

    public Builder rowEntropy(long address) {
      this.rowEntropy = address;
      return this;
    }

    public NativeStats build() {
      return new NativeStats(this);
    }
  }
}
