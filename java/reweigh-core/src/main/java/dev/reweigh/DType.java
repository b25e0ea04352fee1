package dev.reweigh;

/** Element type of logits and gradients in native memory. */
public enum DType {
  F32(0, 4),
  BF16(1, 2),
  /** CUDA only. */
  F16(2, 2);

  final int code;
  private final int bytes;

  DType(int code, int bytes) {
    this.code = code;
    this.bytes = bytes;
  }

  /** Bytes per element. */
  public int bytes() {
    return bytes;
  }
}
