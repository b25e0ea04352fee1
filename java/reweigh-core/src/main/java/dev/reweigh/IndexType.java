package dev.reweigh;

/** Element type of targets and sample offsets in native memory (PyTorch targets are I64). */
public enum IndexType {
  I32(3, 4),
  I64(4, 8);

  final int code;
  private final int bytes;

  IndexType(int code, int bytes) {
    this.code = code;
    this.bytes = bytes;
  }

  /** Bytes per element. */
  public int bytes() {
    return bytes;
  }
}
