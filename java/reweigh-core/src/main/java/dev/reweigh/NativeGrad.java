package dev.reweigh;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Where a kernel writes the gradient: native memory in the logits' dtype and memory space, with
 * its own row stride. {@link #inPlace(NativeBatch)} overwrites the logits themselves. A JavaCPP
 * buffer's element size must be the logits' ({@code FloatPointer} for F32, {@code ShortPointer}
 * for BF16 and F16): its capacity is counted in those elements.
 */
public final class NativeGrad {
  final long address;
  final long rowStride;
  final long capacity;
  /** Bytes per element of the buffer's type; 0 when unknown (a raw address, or in place). */
  private final int elementBytes;
  private final Object owner;

  private NativeGrad(long address, long rowStride, long capacity, int elementBytes, Object owner) {
    this.address = address;
    this.rowStride = rowStride;
    this.capacity = capacity;
    this.elementBytes = elementBytes;
    this.owner = owner;
  }

  /** A raw address of elements in the logits' dtype; rowStride in elements. */
  public static NativeGrad ofAddress(long address, long rowStride) {
    return new NativeGrad(address, rowStride, -1, 0, null);
  }

  /** An fp32 JavaCPP buffer with the given row stride, for F32 logits. */
  public static NativeGrad of(FloatPointer p, long rowStride) {
    return fromPointer(p, rowStride, 4);
  }

  /** A bf16 (or fp16) JavaCPP buffer with the given row stride, for BF16 or F16 logits. */
  public static NativeGrad of(ShortPointer p, long rowStride) {
    return fromPointer(p, rowStride, 2);
  }

  /** Write the gradient over the logits of {@code batch}. */
  public static NativeGrad inPlace(NativeBatch batch) {
    return new NativeGrad(batch.logits, batch.rowStride, -1, 0, batch);
  }

  private static NativeGrad fromPointer(Pointer p, long rowStride, int elementBytes) {
    return new NativeGrad(NativeBatch.Builder.address(p, "grad"), rowStride,
        NativeBatch.Builder.remaining(p), elementBytes, p);
  }

  void check(NativeBatch b) {
    if (owner instanceof Pointer && ((Pointer) owner).isNull()) {
      throw new IllegalArgumentException("grad pointer was deallocated after the NativeGrad was made");
    }
    if (owner instanceof NativeBatch) {
      ((NativeBatch) owner).checkLive(); // in place: the logits buffer is the grad
    }
    if (elementBytes != 0 && elementBytes != b.dtype.bytes()) {
      throw new IllegalArgumentException("grad is a " + owner.getClass().getSimpleName() + " ("
          + elementBytes + "-byte elements) but the logits are " + b.dtype + " ("
          + b.dtype.bytes() + " bytes): the gradient is written in the logits' dtype");
    }
    if (rowStride < b.vocab) {
      throw new IllegalArgumentException(
          "grad rowStride = " + rowStride + " is smaller than vocab = " + b.vocab);
    }
    if (b.rows > 0 && address == 0) {
      throw new IllegalArgumentException("grad address is 0 (null or deallocated)");
    }
    long needed = b.rows == 0 ? 0 : (b.rows - 1) * rowStride + b.vocab;
    if (capacity >= 0 && capacity < needed) {
      throw new IllegalArgumentException("grad pointer holds " + capacity
          + " elements after its position but the batch needs " + needed);
    }
  }
}
