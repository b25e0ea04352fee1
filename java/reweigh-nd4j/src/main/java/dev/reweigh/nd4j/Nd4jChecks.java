package dev.reweigh.nd4j;

import dev.reweigh.AdapterChecks;
import dev.reweigh.DType;
import dev.reweigh.IndexType;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Checks shared by the ND4J adapter (all before any native call). */
final class Nd4jChecks {
  private Nd4jChecks() {}

  static void requireNonNull(INDArray a, String name) {
    AdapterChecks.requireNonNull(a, name);
  }

  static void requireLogits(INDArray logits) {
    requireNonNull(logits, "logits");
    AdapterChecks.requireLogitsShape(logits.shape());
  }

  static DType logitsDType(INDArray logits) {
    DataType t = logits.dataType();
    if (t == DataType.FLOAT) {
      return DType.F32;
    }
    if (t == DataType.BFLOAT16) {
      return DType.BF16;
    }
    throw new IllegalArgumentException(
        "logits data type " + t + " is not supported: use FLOAT or BFLOAT16");
  }

  // ND4J 1.0.0-M2.1 still tags arrays made from long[] / int[] with the deprecated LONG / INT
  // constants (distinct from INT64 / INT32), so both spellings must be accepted.
  @SuppressWarnings("deprecation")
  static IndexType indexType(INDArray a, String name) {
    DataType t = a.dataType();
    if (t == DataType.LONG || t == DataType.INT64) {
      return IndexType.I64;
    }
    if (t == DataType.INT || t == DataType.INT32) {
      return IndexType.I32;
    }
    throw new IllegalArgumentException(
        name + " data type " + t + " is not supported: " + name + " must be LONG or INT");
  }

  /** Elements between consecutive rows; see {@link Nd4jBatch} for what is accepted. */
  static long rowStride(INDArray a, String name) {
    return AdapterChecks.rowStride(a.shape(), a.stride(), name,
        "(ordering " + a.ordering() + ", strides " + Arrays.toString(a.stride()) + ")", ".dup('c')");
  }

  /** Dense in C order: element i at address + i (dimensions of size 1 may have any stride). */
  static void requireDense(INDArray a, String name) {
    long expected = 1;
    for (int i = a.rank() - 1; i >= 0; i--) {
      long n = a.size(i);
      if (n > 1 && a.stride(i) != expected) {
        throw new IllegalArgumentException(name + " " + Arrays.toString(a.shape())
            + " (ordering " + a.ordering() + ", strides " + Arrays.toString(a.stride())
            + ") is not dense in C order; pass " + name + ".dup('c')");
      }
      expected *= n;
    }
  }

  static void requireFloatVector(INDArray a, String name, long n) {
    requireNonNull(a, name);
    if (a.dataType() != DataType.FLOAT) {
      throw new IllegalArgumentException(
          name + " data type " + a.dataType() + " is not supported: " + name + " must be FLOAT");
    }
    AdapterChecks.requireElementCount(name, a.shape(), n);
    requireDense(a, name);
  }

  /** Address of element 0; {@code data().addressPointer()} already includes the view offset. */
  static long address(INDArray a) {
    if (a.isEmpty() || a.length() == 0) {
      return 0L;
    }
    return a.data().addressPointer().address();
  }
}
