package dev.reweigh;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Where a kernel writes the gradient: native memory in the logits' dtype and memory space, with
 * its own row stride. {@link #inPlace(NativeBatch)} overwrites the logits themselves.
 */
public final class NativeGrad {
  final long address;
  final long rowStride;
  final long capacity;
  @SuppressWarnings("unused")
  private final Object owner;

  private NativeGrad(long address, long rowStride, long capacity, Object owner) {
    this.address = address;
    this.rowStride = rowStride;
    this.capacity = capacity;
    this.owner = owner;
  }

  /** A raw address; rowStride in elements. */
  public static NativeGrad ofAddress(long address, long rowStride) {
    return new NativeGrad(address, rowStride, -1, null);
  }

  /** An fp32 JavaCPP buffer with the given row stride. */
  public static NativeGrad of(FloatPointer p, long rowStride) {
    return fromPointer(p, rowStride);
  }

  /** A bf16 (or fp16) JavaCPP buffer with the given row stride. */
  public static NativeGrad of(ShortPointer p, long rowStride) {
    return fromPointer(p, rowStride);
  }

  /** Write the gradient over the logits of {@code batch}. */
  public static NativeGrad inPlace(NativeBatch batch) {
    return new NativeGrad(batch.logits, batch.rowStride, -1, batch);
  }

  private static NativeGrad fromPointer(Pointer p, long rowStride) {
    return new NativeGrad(NativeBatch.Builder.address(p, "grad"), rowStride,
        NativeBatch.Builder.remaining(p), p);
  }

  void check(NativeBatch b) {
    if (owner instanceof Pointer && ((Pointer) owner).isNull()) {
      throw new IllegalArgumentException("grad pointer was deallocated after the NativeGrad was made");
    }
    if (owner instanceof NativeBatch) {
      ((NativeBatch) owner).checkLive(); // in place: the logits buffer is the grad
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
