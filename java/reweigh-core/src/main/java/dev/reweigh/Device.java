package dev.reweigh;

import java.util.Objects;

/** Where a batch's memory lives: the CPU, or one CUDA device. */
public final class Device {
  /** Memory the CPU kernels read: heap arrays, JavaCPP pointers, host tensors. */
  public static final Device CPU = new Device(Kind.CPU, 0);

  /** Device family. */
  public enum Kind {
    CPU(0),
    CUDA(1);

    final int code;

    Kind(int code) {
      this.code = code;
    }
  }

  private final Kind kind;
  private final int index;

  private Device(Kind kind, int index) {
    this.kind = kind;
    this.index = index;
  }

  /** CUDA device {@code ordinal} (>= 0). */
  public static Device cuda(int ordinal) {
    if (ordinal < 0) {
      throw new IllegalArgumentException("CUDA device ordinal = " + ordinal + " must be >= 0");
    }
    return new Device(Kind.CUDA, ordinal);
  }

  public Kind kind() {
    return kind;
  }

  public int index() {
    return index;
  }

  public boolean isCuda() {
    return kind == Kind.CUDA;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Device && ((Device) o).kind == kind && ((Device) o).index == index;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, index);
  }

  @Override
  public String toString() {
    return kind == Kind.CPU ? "cpu" : "cuda:" + index;
  }
}
