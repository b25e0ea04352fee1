package dev.reweigh.pytorch;

import dev.reweigh.AdapterChecks;
import dev.reweigh.DType;
import dev.reweigh.Device;
import java.util.Arrays;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Shape, dtype, stride and device checks shared by the adapter (all before any native call). */
final class TorchChecks {
  private TorchChecks() {}

  static void requireDefined(Tensor t, String name) {
    if (t == null || t.isNull() || !t.defined()) {
      throw new IllegalArgumentException(name + " is null or an undefined tensor");
    }
  }

  /**
   * The dtype as a canonical enum constant: JavaCPP hands back enum objects whose {@code value}
   * field is set natively, so {@code ==} and {@code switch} need {@code intern()} first.
   */
  static ScalarType scalarType(Tensor t) {
    return t.scalar_type().intern();
  }

  static void requireLogits(Tensor logits) {
    requireDefined(logits, "logits");
    AdapterChecks.requireLogitsShape(shapeOf(logits));
  }

  static DType logitsDType(Tensor logits) {
    ScalarType st = scalarType(logits);
    switch (st) {
      case Float:
        return DType.F32;
      case BFloat16:
        return DType.BF16;
      case Half:
        if (!logits.is_cuda()) {
          throw new IllegalArgumentException(
              "logits dtype Half (float16) is supported on CUDA tensors only; use float32 or"
                  + " bfloat16 on the CPU");
        }
        return DType.F16;
      default:
        throw new IllegalArgumentException("logits dtype " + st
            + " is not supported: use float32 or bfloat16 (float16 on CUDA)");
    }
  }

  static long rows(Tensor logits) {
    return AdapterChecks.rows(shapeOf(logits));
  }

  /**
   * The distance in elements between consecutive rows, when the rows of {@code t} (all dims but
   * the last, flattened in C order) form one arithmetic sequence with unit stride inside a row.
   */
  static long rowStride(Tensor t, String name) {
    return AdapterChecks.rowStride(
        shapeOf(t), stridesOf(t), name, "with strides " + strides(t), ".contiguous()");
  }

  static Device device(Tensor t) {
    org.bytedeco.pytorch.Device d = t.device();
    if (d.is_cpu()) {
      return Device.CPU;
    }
    if (d.is_cuda()) {
      return Device.cuda(d.has_index() ? d.index() : 0);
    }
    throw new IllegalArgumentException("tensor on device type " + d.type()
        + " is not supported: CPU or CUDA tensors only");
  }

  /** int64, contiguous, on {@code device}. */
  static void requireIndexTensor(Tensor t, String name, Device device) {
    requireDefined(t, name);
    if (scalarType(t) != ScalarType.Long) {
      throw new IllegalArgumentException(name + " dtype " + scalarType(t)
          + " is not supported: " + name
          + " must be int64 (torch.long), as in torch cross_entropy");
    }
    requireContiguous(t, name);
    requireSameDevice(t, name, device);
  }

  /** float32, 1-D, contiguous, {@code n} entries, on {@code device}. */
  static void requireFloatVector(Tensor t, String name, long n, Device device) {
    requireDefined(t, name);
    if (scalarType(t) != ScalarType.Float) {
      throw new IllegalArgumentException(name + " dtype " + scalarType(t)
          + " is not supported: " + name + " must be float32");
    }
    AdapterChecks.requireElementCount(name, shapeOf(t), n);
    requireContiguous(t, name);
    requireSameDevice(t, name, device);
  }

  static void requireContiguous(Tensor t, String name) {
    if (!t.is_contiguous()) {
      throw new IllegalArgumentException(name + " " + shape(t) + " with strides " + strides(t)
          + " is not contiguous; pass " + name + ".contiguous()");
    }
  }

  static void requireSameDevice(Tensor t, String name, Device device) {
    Device d = device(t);
    if (!d.equals(device)) {
      throw new IllegalArgumentException(
          name + " is on " + d + " but the logits are on " + device + ": move it with .to()");
    }
  }

  /** The address of element 0 (libtorch's data_ptr already includes the storage offset). */
  static long address(Tensor t) {
    if (t.numel() == 0) {
      return 0L;
    }
    return t.data_ptr().address();
  }

  static long[] shapeOf(Tensor t) {
    long[] s = new long[(int) t.dim()];
    for (int i = 0; i < s.length; i++) {
      s[i] = t.size(i);
    }
    return s;
  }

  static long[] stridesOf(Tensor t) {
    long[] s = new long[(int) t.dim()];
    for (int i = 0; i < s.length; i++) {
      s[i] = t.stride(i);
    }
    return s;
  }

  static String shape(Tensor t) {
    return Arrays.toString(shapeOf(t));
  }

  static String strides(Tensor t) {
    return Arrays.toString(stridesOf(t));
  }
}
