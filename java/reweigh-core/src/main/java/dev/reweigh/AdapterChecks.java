package dev.reweigh;

import java.util.Arrays;

/**
 * Argument checks that every framework adapter needs (reweigh-pytorch, reweigh-nd4j, or your own):
 * how a framework's logits array, described by its shape and strides in elements, maps onto the
 * kernels' rows ({@code logits[r * rowStride + v]}, docs/design.md §3.3), and the count checks
 * between logits, targets, coefficients and grad. Each check throws an {@link
 * IllegalArgumentException} naming the argument before anything reaches native code; the
 * framework-specific checks (dtype, device, address) stay in the adapter.
 */
public final class AdapterChecks {
  private AdapterChecks() {}

  /**
   * Throws when {@code value} is null.
   *
   * @param value the argument
   * @param name its name in the message
   */
  public static void requireNonNull(Object value, String name) {
    if (value == null) {
      throw new IllegalArgumentException(name + " is null");
    }
  }

  /**
   * Logits must be {@code [rows, V]} or {@code [B, T, V]} with {@code V >= 1}.
   *
   * @param shape the logits' shape
   */
  public static void requireLogitsShape(long[] shape) {
    if (shape.length != 2 && shape.length != 3) {
      throw new IllegalArgumentException(
          "logits must be [rows, V] or [B, T, V], got " + Arrays.toString(shape));
    }
    if (shape[shape.length - 1] < 1) {
      throw new IllegalArgumentException(
          "logits " + Arrays.toString(shape) + " has an empty vocabulary");
    }
  }

  /**
   * Padded and causal batches need {@code [B, T, V]} logits.
   *
   * @param shape the logits' shape, already checked by {@link #requireLogitsShape}
   * @param batchKind "padded" or "causal", for the message
   * @param hint what to use instead, appended to the message (may be empty)
   */
  public static void requireSequenceLogits(long[] shape, String batchKind, String hint) {
    if (shape.length != 3) {
      throw new IllegalArgumentException(
          batchKind + " batches need logits [B, T, V], got " + Arrays.toString(shape) + hint);
    }
  }

  /**
   * The number of rows of {@code [rows, V]} or {@code [B, T, V]} logits.
   *
   * @param shape the logits' shape
   * @return rows, or B * T
   */
  public static long rows(long[] shape) {
    return shape.length == 2 ? shape[0] : shape[0] * shape[1];
  }

  /**
   * The distance in elements between consecutive rows, when the rows of the array (every
   * dimension but the last, flattened in C order) form one arithmetic sequence and each row is
   * {@code V} adjacent elements. Dimensions of size 1 may have any stride.
   *
   * @param shape {@code [rows, V]} or {@code [B, T, V]}
   * @param strides in elements, one per dimension
   * @param name the argument's name in the message
   * @param layout how the framework describes the layout, shown after the shape (e.g. {@code
   *     "with strides [..]"})
   * @param copyHint the call that makes a readable copy, appended to {@code name} (e.g. {@code
   *     ".contiguous()"})
   * @return the row stride, {@code >= V}
   */
  public static long rowStride(
      long[] shape, long[] strides, String name, String layout, String copyHint) {
    int rank = shape.length;
    long v = shape[rank - 1];
    String what = name + " " + Arrays.toString(shape) + " " + layout;
    if (v > 1 && strides[rank - 1] != 1) {
      throw new IllegalArgumentException(what + " is not contiguous along the vocabulary (stride "
          + strides[rank - 1] + "): the kernels read each row as V adjacent elements; pass "
          + name + copyHint);
    }
    long rowStride;
    if (rank == 2) {
      rowStride = shape[0] <= 1 ? v : strides[0];
    } else {
      long b = shape[0];
      long t = shape[1];
      if (t <= 1) {
        rowStride = b <= 1 ? v : strides[0];
      } else {
        rowStride = strides[1];
        if (b > 1 && strides[0] != t * rowStride) {
          throw new IllegalArgumentException(what + " cannot be read as rows of one stride (the B"
              + " stride must equal T * the T stride = " + (t * rowStride) + "); pass " + name
              + copyHint);
        }
      }
    }
    if (rowStride < v) {
      throw new IllegalArgumentException(what + " has overlapping or reversed rows (row stride "
          + rowStride + " < V = " + v + "); pass " + name + copyHint);
    }
    return rowStride;
  }

  /**
   * One target per row of the logits.
   *
   * @param targetsShape the targets' shape
   * @param logitsShape the logits' shape
   */
  public static void requireTargetPerRow(long[] targetsShape, long[] logitsShape) {
    long n = count(targetsShape);
    long rows = rows(logitsShape);
    if (n != rows) {
      throw new IllegalArgumentException("targets has " + n + " elements "
          + Arrays.toString(targetsShape) + " but logits " + Arrays.toString(logitsShape)
          + " has " + rows + " rows: one target per row");
    }
  }

  /**
   * The input tokens of a causal batch are {@code [B, T]}, like the logits' first two dimensions.
   *
   * @param tokensShape the tokens' shape
   * @param logitsShape the logits' shape, {@code [B, T, V]}
   */
  public static void requireTokensMatch(long[] tokensShape, long[] logitsShape) {
    long b = logitsShape[0];
    long t = logitsShape[1];
    if (tokensShape.length != 2 || tokensShape[0] != b || tokensShape[1] != t) {
      throw new IllegalArgumentException("tokens " + Arrays.toString(tokensShape)
          + " must be [B, T] = [" + b + ", " + t + "] to match logits "
          + Arrays.toString(logitsShape));
    }
  }

  /**
   * A per-sample or per-row vector has exactly {@code expected} elements.
   *
   * @param name the argument's name
   * @param shape its shape
   * @param expected samples or rows of the batch
   */
  public static void requireElementCount(String name, long[] shape, long expected) {
    long n = count(shape);
    if (n != expected) {
      throw new IllegalArgumentException(name + " has " + n + " elements "
          + Arrays.toString(shape) + " but the batch has " + expected);
    }
  }

  /**
   * A gradient output has the logits' shape.
   *
   * @param gradShape the grad's shape
   * @param logitsShape the logits' shape
   */
  public static void requireGradShape(long[] gradShape, long[] logitsShape) {
    if (!Arrays.equals(gradShape, logitsShape)) {
      throw new IllegalArgumentException("grad " + Arrays.toString(gradShape)
          + " must have the shape of logits " + Arrays.toString(logitsShape));
    }
  }

  /**
   * Heap coefficients: one per sample.
   *
   * @param coefficients c_s
   * @param samples samples of the batch
   */
  public static void requireCoefficients(float[] coefficients, long samples) {
    requireNonNull(coefficients, "coefficients");
    if (coefficients.length != samples) {
      throw new IllegalArgumentException("coefficients.length = " + coefficients.length
          + " must equal the number of samples = " + samples);
    }
  }

  private static long count(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }
}
