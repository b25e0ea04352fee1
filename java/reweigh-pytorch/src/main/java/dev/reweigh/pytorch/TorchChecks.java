package dev.reweigh.pytorch;

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
    if (logits.dim() != 2 && logits.dim() != 3) {
      throw new IllegalArgumentException(
          "logits must be [rows, V] or [B, T, V], got " + shape(logits));
    }
    if (logits.size(logits.dim() - 1) < 1) {
      throw new IllegalArgumentException("logits " + shape(logits) + " has an empty vocabulary");
    }
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
    return logits.dim() == 2 ? logits.size(0) : logits.size(0) * logits.size(1);
  }

  /**
   * The distance in elements between consecutive rows, when the rows of {@code t} (all dims but
   * the last, flattened in C order) form one arithmetic sequence with unit stride inside a row.
   */
  static long rowStride(Tensor t, String name) {
    long dim = t.dim();
    long v = t.size(dim - 1);
    if (v > 1 && t.stride(dim - 1) != 1) {
      throw new IllegalArgumentException(name + " " + shape(t) + " with strides " + strides(t)
          + " is not contiguous along the vocabulary (stride " + t.stride(dim - 1)
          + "): the kernels read each row as V adjacent elements; pass " + name
          + ".contiguous()");
    }
    long rowStride;
    if (dim == 2) {
      rowStride = t.size(0) <= 1 ? v : t.stride(0);
    } else {
      long b = t.size(0);
      long tt = t.size(1);
      if (tt <= 1) {
        rowStride = b <= 1 ? v : t.stride(0);
      } else {
        rowStride = t.stride(1);
        if (b > 1 && t.stride(0) != tt * rowStride) {
          throw new IllegalArgumentException(name + " " + shape(t) + " with strides " + strides(t)
              + " cannot be read as rows of one stride (the B stride must equal T * the T stride"
              + " = " + (tt * rowStride) + "); pass " + name + ".contiguous()");
        }
      }
    }
    if (rowStride < v) {
      throw new IllegalArgumentException(name + " " + shape(t) + " with strides " + strides(t)
          + " has overlapping or reversed rows (row stride " + rowStride + " < V = " + v
          + "); pass " + name + ".contiguous()");
    }
    return rowStride;
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
    if (t.numel() != n) {
      throw new IllegalArgumentException(name + " has " + t.numel() + " elements " + shape(t)
          + " but the batch has " + n);
    }
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

  static String shape(Tensor t) {
    long[] s = new long[(int) t.dim()];
    for (int i = 0; i < s.length; i++) {
      s[i] = t.size(i);
    }
    return Arrays.toString(s);
  }

  static String strides(Tensor t) {
    long[] s = new long[(int) t.dim()];
    for (int i = 0; i < s.length; i++) {
      s[i] = t.stride(i);
    }
    return Arrays.toString(s);
  }
}
