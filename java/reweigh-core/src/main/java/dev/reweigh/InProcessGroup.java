package dev.reweigh;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * {@link AllReduce} among threads of one process: vocabulary blocks (or simulated ranks) that run
 * concurrently on one device. Participant i calls through {@link #member(int)}; every reduction
 * runs in participant order, so results do not depend on thread timing. A participant that waits
 * longer than the timeout for the others gets an IllegalStateException (a missing rank never hangs
 * the process).
 */
public final class InProcessGroup {
  private final int size;
  private final long timeoutMillis;
  private final CyclicBarrier barrier;
  private final Object[] slots;

  /** A group of {@code size} participants that wait at most {@code timeoutMillis} for each other. */
  public InProcessGroup(int size, long timeoutMillis) {
    if (size < 1) {
      throw new IllegalArgumentException("size = " + size + " must be >= 1");
    }
    if (timeoutMillis < 1) {
      throw new IllegalArgumentException("timeoutMillis = " + timeoutMillis + " must be >= 1");
    }
    this.size = size;
    this.timeoutMillis = timeoutMillis;
    this.barrier = new CyclicBarrier(size);
    this.slots = new Object[size];
  }

  public int size() {
    return size;
  }

  /** The view of participant {@code rank} in [0, size). */
  public AllReduce member(int rank) {
    Objects.checkIndex(rank, size);
    return new Member(rank);
  }

  /**
   * Participant {@code rank} over host memory ({@link Device#CPU} arrays of native floats): the
   * same reductions as {@link #member(int)}, read from and written to the given addresses.
   */
  public NativeAllReduce nativeMember(int rank) {
    AllReduce heap = member(rank);
    return new NativeAllReduce() {
      @Override
      public void maxInto(Device device, long stream, long source, long target, long count) {
        float[] v = read(device, source, count, "source");
        requireHost(target, count, "target");
        heap.maxInPlace(v);
        write(v, target);
      }

      @Override
      public void sumInPlace(Device device, long stream, long address, long count) {
        float[] v = read(device, address, count, "address");
        heap.sumInPlace(v);
        write(v, address);
      }
    };
  }

  private static float[] read(Device device, long address, long count, String name) {
    Objects.requireNonNull(device, "device");
    if (device.isCuda()) {
      throw new IllegalArgumentException("the in-process group reduces host memory, not "
          + device + " (blocks of one device combine with ShardedLoss.merge)");
    }
    if (count < 0 || count > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("count = " + count + " must lie in [0, 2^31 - 9]");
    }
    requireHost(address, count, name);
    float[] v = new float[(int) count];
    at(address, count).get(v);
    return v;
  }

  private static void write(float[] v, long address) {
    at(address, v.length).put(v);
  }

  private static void requireHost(long address, long count, String name) {
    if (address == 0 && count > 0) {
      throw new IllegalArgumentException(name + " address is 0");
    }
  }

  /** A view of {@code count} floats at {@code address}; owns nothing. */
  private static FloatPointer at(long where, long count) {
    return new FloatPointer(new Pointer() {
      {
        address = where;
      }
    }).capacity(count).limit(count);
  }

  private void await() {
    try {
      barrier.await(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the other participants", e);
    } catch (BrokenBarrierException | TimeoutException e) {
      throw new IllegalStateException("a participant of the in-process group did not arrive within "
          + timeoutMillis + " ms", e);
    }
  }

  private final class Member implements AllReduce {
    private final int rank;

    Member(int rank) {
      this.rank = rank;
    }

    /** Publish, wait, reduce all slots in rank order into a private result, wait, copy back. */
    private void reduce(Object values, int length, boolean max) {
      slots[rank] = values;
      await();
      for (int r = 0; r < size; r++) {
        int n = java.lang.reflect.Array.getLength(slots[r]);
        if (n != length) {
          throw new IllegalArgumentException("participant " + r + " passed " + n
              + " values but participant " + rank + " passed " + length);
        }
      }
      Object out;
      if (values instanceof float[]) {
        float[] acc = Arrays.copyOf((float[]) slots[0], length);
        for (int r = 1; r < size; r++) {
          float[] v = (float[]) slots[r];
          for (int i = 0; i < length; i++) {
            acc[i] = max ? Math.max(acc[i], v[i]) : acc[i] + v[i];
          }
        }
        out = acc;
      } else {
        double[] acc = Arrays.copyOf((double[]) slots[0], length);
        for (int r = 1; r < size; r++) {
          double[] v = (double[]) slots[r];
          for (int i = 0; i < length; i++) {
            acc[i] += v[i];
          }
        }
        out = acc;
      }
      await(); // every participant has read every slot before any is overwritten
      System.arraycopy(out, 0, values, 0, length);
    }

    @Override
    public void maxInPlace(float[] values) {
      reduce(Objects.requireNonNull(values, "values"), values.length, true);
    }

    @Override
    public void sumInPlace(float[] values) {
      reduce(Objects.requireNonNull(values, "values"), values.length, false);
    }

    @Override
    public void sumInPlace(double[] values) {
      reduce(Objects.requireNonNull(values, "values"), values.length, false);
    }
  }
}
