package dev.reweigh;

import java.util.Objects;

/**
 * A shard's per-row partials in caller-owned native memory (docs/design.md §3.9): one packed
 * {@code [6, rows]} float32 array at {@code address} in the memory of {@code device} (host memory
 * for {@link Device#CPU}, device memory for a CUDA device), its rows in order {@code max}, {@code
 * sumExp}, {@code entropySum}, {@code logitSum}, {@code targetLogit}, then one row of work space
 * a collective combine reduces the global max into. The sums' four rows are contiguous, so a
 * combine is one MAX all-reduce over {@code rows} floats and one SUM all-reduce over {@code 4 *
 * rows}. Work on a CUDA device is queued on {@code stream} (0 = the default stream), the stream
 * of the shard batches the partials go with.
 *
 * <p>The caller allocates and frees the memory ({@link #bytes} of it, float-aligned); this class
 * holds the address only.
 */
public final class NativePartials {
  /** Float32 rows of the packed layout: five partials and the global-max work row. */
  public static final int ROWS_OF_FLOATS = 6;

  final Device device;
  final long stream;
  final long rows;
  final long address;

  private NativePartials(Device device, long stream, long rows, long address) {
    this.device = device;
    this.stream = stream;
    this.rows = rows;
    this.address = address;
  }

  /** Partials of {@code rows} rows at {@code address} ({@link #bytes}{@code (rows)} bytes). */
  public static NativePartials packed(Device device, long stream, long rows, long address) {
    Objects.requireNonNull(device, "device");
    if (rows < 0) {
      throw new IllegalArgumentException("rows = " + rows + " must be >= 0");
    }
    if (address == 0 && rows > 0) {
      throw new IllegalArgumentException("partials address is 0");
    }
    if (address % Float.BYTES != 0) {
      throw new IllegalArgumentException(
          "partials address = " + address + " is not aligned to " + Float.BYTES + " bytes");
    }
    if (!device.isCuda() && stream != 0) {
      throw new IllegalArgumentException("stream = " + stream + " must be 0 for host partials");
    }
    bytes(rows);
    return new NativePartials(device, stream, rows, address);
  }

  /** Bytes of the packed array for {@code rows} rows: {@code 6 * rows * 4}. */
  public static long bytes(long rows) {
    if (rows < 0) {
      throw new IllegalArgumentException("rows = " + rows + " must be >= 0");
    }
    return Math.multiplyExact(rows, (long) ROWS_OF_FLOATS * Float.BYTES);
  }

  public Device device() {
    return device;
  }

  public long stream() {
    return stream;
  }

  public long rows() {
    return rows;
  }

  /** Address of the {@code max} row; the other rows follow at {@code rows * 4} bytes each. */
  public long address() {
    return address;
  }

  /** Address of the global-max work row ({@code max} reduced over the shards by a combine). */
  long globalMaxAddress() {
    return address + 5L * rows * Float.BYTES;
  }

  /** Address of the four contiguous sum rows {@code sumExp .. targetLogit}. */
  long sumsAddress() {
    return address + rows * Float.BYTES;
  }

  /** These partials go with {@code batch}: same rows, same memory space, same stream. */
  void requireMatches(String name, NativeBatch batch) {
    if (rows != batch.rows) {
      throw new IllegalArgumentException(
          name + " has " + rows + " rows but the batch has " + batch.rows);
    }
    requireSamePlace(name, batch.device, batch.stream, "the batch");
  }

  void requireSamePlace(String name, Device otherDevice, long otherStream, String other) {
    if (!device.equals(otherDevice)) {
      throw new IllegalArgumentException(
          name + " lives on " + device + " but " + other + " on " + otherDevice);
    }
    if (stream != otherStream) {
      throw new IllegalArgumentException(
          name + " stream = " + stream + " but " + other + " stream = " + otherStream);
    }
  }
}
