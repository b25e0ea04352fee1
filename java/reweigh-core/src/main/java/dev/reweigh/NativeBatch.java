package dev.reweigh;

import java.util.Objects;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Logits, targets and sample offsets in native memory (JavaCPP pointers, tensor data pointers or
 * CUDA device addresses), described without copying: the zero-copy input of {@link FusedLoss}.
 *
 * <p>Row r of the logits starts at element {@code r * rowStride}; row r predicts {@code
 * targets[r]}; sample s owns rows {@code [offsets[s], offsets[s+1])}. When built from JavaCPP
 * pointers the batch keeps them reachable and checks their capacity; a raw address cannot be
 * checked, so the caller vouches for its extent.
 */
public final class NativeBatch {
  final long logits;
  final DType dtype;
  final long rows;
  final long vocab;
  final long rowStride;
  final long targets;
  final IndexType targetsType;
  final long offsets;
  final IndexType offsetsType;
  final long samples;
  final Device device;
  final long stream;
  /** The scalars as the JNI bridge takes them ({@link #nativeFields}); never mutated. */
  final long[] nativeFields;
  /** Keeps JavaCPP pointers (and their memory) alive while the batch is in use. */
  @SuppressWarnings("unused")
  private final Object[] owners;

  private NativeBatch(Builder b) {
    this.logits = b.logits;
    this.dtype = b.dtype;
    this.rows = b.rows;
    this.vocab = b.vocab;
    this.rowStride = b.rowStride < 0 ? b.vocab : b.rowStride;
    this.targets = b.targets;
    this.targetsType = b.targetsType;
    this.offsets = b.offsets;
    this.offsetsType = b.offsetsType;
    this.samples = b.samples;
    this.device = b.device;
    this.stream = b.stream;
    this.owners = new Object[] {b.logitsOwner, b.targetsOwner, b.offsetsOwner};
    this.nativeFields = nativeFields(dtype, rows, vocab, rowStride, targetsType, offsetsType,
        samples, device.kind().code, device.index(), stream);
  }

  /**
   * A batch's scalars packed for the JNI bridge, in the order of the enum of reweigh_jni.h:
   * built once per batch, so a native call passes one array instead of ten arguments.
   */
  static long[] nativeFields(DType dtype, long rows, long vocab, long rowStride,
      IndexType targetsType, IndexType offsetsType, long samples, int deviceType, int deviceIndex,
      long stream) {
    return new long[] {dtype.code, rows, vocab, rowStride, targetsType.code, offsetsType.code,
        samples, deviceType, deviceIndex, stream};
  }

  /** The scalars of heap arrays on the CPU: contiguous rows, int32 targets and offsets. */
  static long[] heapFields(DType dtype, long rows, long vocab, long samples) {
    return nativeFields(dtype, rows, vocab, vocab, IndexType.I32, IndexType.I32, samples,
        Device.Kind.CPU.code, 0, 0L);
  }

  public static Builder builder() {
    return new Builder();
  }

  public long rows() {
    return rows;
  }

  public long vocab() {
    return vocab;
  }

  public long rowStride() {
    return rowStride;
  }

  public long samples() {
    return samples;
  }

  public DType dtype() {
    return dtype;
  }

  public Device device() {
    return device;
  }

  public long stream() {
    return stream;
  }

  /**
   * Throws IllegalArgumentException when a JavaCPP buffer this batch was built from has been
   * deallocated since (its address would point at freed memory). Raw addresses cannot be checked.
   */
  void checkLive() {
    String[] names = {"logits", "targets", "offsets"};
    for (int i = 0; i < owners.length; i++) {
      if (owners[i] instanceof Pointer && ((Pointer) owners[i]).isNull()) {
        throw new IllegalArgumentException(
            names[i] + " pointer was deallocated after the batch was built");
      }
    }
  }

  /** Address of the logits (element 0 of row 0). */
  public long logitsAddress() {
    return logits;
  }

  /** Builder. Logits, targets and offsets are required. */
  public static final class Builder {
    private long logits;
    private DType dtype;
    private long rows = -1;
    private long vocab = -1;
    private long rowStride = -1;
    private long targets;
    private IndexType targetsType;
    private long offsets;
    private IndexType offsetsType;
    private long samples = -1;
    private Device device = Device.CPU;
    private long stream;
    private Object logitsOwner;
    private Object targetsOwner;
    private Object offsetsOwner;
    private long logitsCapacity = -1;
    private long targetsCapacity = -1;
    private long offsetsCapacity = -1;

    private Builder() {}

    /** Logits at a raw address: {@code rows} rows of {@code vocab} elements of {@code dtype}. */
    public Builder logits(long address, DType dtype, long rows, long vocab) {
      this.logits = address;
      this.dtype = Objects.requireNonNull(dtype, "dtype");
      this.rows = rows;
      this.vocab = vocab;
      this.logitsOwner = null;
      this.logitsCapacity = -1;
      return this;
    }

    /** fp32 logits in a JavaCPP pointer (from its position on). */
    public Builder logits(FloatPointer p, long rows, long vocab) {
      return pointerLogits(p, DType.F32, rows, vocab);
    }

    /** bf16 logits (raw bit patterns) in a JavaCPP pointer. */
    public Builder logitsBf16(ShortPointer p, long rows, long vocab) {
      return pointerLogits(p, DType.BF16, rows, vocab);
    }

    /** fp16 logits (CUDA only) in a JavaCPP pointer. */
    public Builder logitsF16(ShortPointer p, long rows, long vocab) {
      return pointerLogits(p, DType.F16, rows, vocab);
    }

    private Builder pointerLogits(Pointer p, DType type, long rows, long vocab) {
      logits(address(p, "logits"), type, rows, vocab);
      this.logitsOwner = p;
      this.logitsCapacity = remaining(p);
      return this;
    }

    /** Elements between the starts of consecutive rows (default: vocab). */
    public Builder rowStride(long rowStride) {
      this.rowStride = rowStride;
      return this;
    }

    /** Targets at a raw address, one per row. */
    public Builder targets(long address, IndexType type) {
      this.targets = address;
      this.targetsType = Objects.requireNonNull(type, "targets type");
      this.targetsOwner = null;
      this.targetsCapacity = -1;
      return this;
    }

    public Builder targets(IntPointer p) {
      targets(address(p, "targets"), IndexType.I32);
      this.targetsOwner = p;
      this.targetsCapacity = remaining(p);
      return this;
    }

    public Builder targets(LongPointer p) {
      targets(address(p, "targets"), IndexType.I64);
      this.targetsOwner = p;
      this.targetsCapacity = remaining(p);
      return this;
    }

    /** Sample offsets at a raw address: {@code samples + 1} entries. */
    public Builder offsets(long address, IndexType type, long samples) {
      this.offsets = address;
      this.offsetsType = Objects.requireNonNull(type, "offsets type");
      this.samples = samples;
      this.offsetsOwner = null;
      this.offsetsCapacity = -1;
      return this;
    }

    public Builder offsets(IntPointer p, long samples) {
      offsets(address(p, "offsets"), IndexType.I32, samples);
      this.offsetsOwner = p;
      this.offsetsCapacity = remaining(p);
      return this;
    }

    public Builder offsets(LongPointer p, long samples) {
      offsets(address(p, "offsets"), IndexType.I64, samples);
      this.offsetsOwner = p;
      this.offsetsCapacity = remaining(p);
      return this;
    }

    /** The memory space of every pointer of the batch (default: CPU). */
    public Builder device(Device device) {
      this.device = Objects.requireNonNull(device, "device");
      return this;
    }

    /** cudaStream_t as an integer for CUDA batches (0 = the default stream). */
    public Builder stream(long stream) {
      this.stream = stream;
      return this;
    }

    /** Validates what Java can see (shapes, presence, JavaCPP capacities) and builds. */
    public NativeBatch build() {
      if (dtype == null) {
        throw new IllegalArgumentException("logits are not set");
      }
      if (targetsType == null) {
        throw new IllegalArgumentException("targets are not set");
      }
      if (offsetsType == null) {
        throw new IllegalArgumentException("offsets are not set");
      }
      if (rows < 0) {
        throw new IllegalArgumentException("rows = " + rows + " must be >= 0");
      }
      if (vocab < 1) {
        throw new IllegalArgumentException("vocab = " + vocab + " must be >= 1");
      }
      if (samples < 0) {
        throw new IllegalArgumentException("samples = " + samples + " must be >= 0");
      }
      long stride = rowStride < 0 ? vocab : rowStride;
      if (stride < vocab) {
        throw new IllegalArgumentException(
            "rowStride = " + stride + " is smaller than vocab = " + vocab);
      }
      if (rows > 0 && logits == 0) {
        throw new IllegalArgumentException("logits address is 0 (null or deallocated)");
      }
      if (rows > 0 && targets == 0) {
        throw new IllegalArgumentException("targets address is 0 (null or deallocated)");
      }
      if (offsets == 0) {
        throw new IllegalArgumentException("offsets address is 0 (null or deallocated)");
      }
      long logitsNeeded = rows == 0 ? 0 : Math.addExact(Math.multiplyExact(rows - 1, stride), vocab);
      checkCapacity("logits", logitsCapacity, logitsNeeded);
      checkCapacity("targets", targetsCapacity, rows);
      checkCapacity("offsets", offsetsCapacity, samples + 1);
      return new NativeBatch(this);
    }

    private static void checkCapacity(String name, long capacity, long needed) {
      if (capacity >= 0 && capacity < needed) {
        throw new IllegalArgumentException(name + " pointer holds " + capacity
            + " elements after its position but the batch needs " + needed);
      }
    }

    static long address(Pointer p, String name) {
      if (p == null || p.isNull()) {
        throw new IllegalArgumentException(name + " pointer is null or deallocated");
      }
      return p.address() + p.position() * p.sizeof();
    }

    /** Elements from position to limit (or capacity), or -1 when JavaCPP does not know. */
    static long remaining(Pointer p) {
      long end = p.limit() > 0 ? p.limit() : p.capacity();
      return end > 0 ? end - p.position() : -1;
    }
  }
}
