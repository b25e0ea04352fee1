package dev.reweigh.pytorch;

import dev.reweigh.AllReduce;
import dev.reweigh.Device;
import dev.reweigh.NativeAllReduce;
import java.time.Duration;
import java.util.Objects;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@link AllReduce} over a torch.distributed process group of the PyTorch presets (docs/design.md
 * §7): the engine JVM trainers on libtorch already run. {@link #gloo} rendezvouses through a
 * {@code TCPStore} (rank 0 serves it) and builds a {@code ProcessGroupGloo} on one network host;
 * any other CPU backend can be wrapped with {@link #of(Backend, int, int)}. Every call blocks
 * until the collective completes, and fails (libtorch's error, as a RuntimeException) after the
 * group's timeout when a rank is missing. Host arrays travel as CPU tensors over the arrays'
 * own memory, so a CPU backend reduces them in place. As a {@link NativeAllReduce} it reduces
 * native memory where it lies: host memory through a CPU backend, or, wrapping a {@code
 * ProcessGroupNCCL} with {@link #of(Backend, int, int)}, a CUDA device's memory (the partials of
 * {@link dev.reweigh.NativePartials}) without a copy to the host.
 */
public final class TorchAllReduce implements AllReduce, NativeAllReduce {
  private final Backend group;
  private final int rank;
  private final int size;
  /** Keeps the store alive as long as the group that uses it. */
  @SuppressWarnings("unused")
  private final TCPStore store;

  private TorchAllReduce(Backend group, int rank, int size, TCPStore store) {
    this.group = group;
    this.rank = rank;
    this.size = size;
    this.store = store;
  }

  /** Wraps an existing CPU process group; {@code rank} and {@code size} as it was built with. */
  public static TorchAllReduce of(Backend group, int rank, int size) {
    Objects.requireNonNull(group, "group");
    checkRank(rank, size);
    return new TorchAllReduce(group, rank, size, null);
  }

  /**
   * Joins a Gloo group of {@code size} ranks: rank 0 serves the TCPStore on {@code host:port}, the
   * others connect to it; every collective and the rendezvous fail after {@code timeout}.
   */
  public static TorchAllReduce gloo(
      String host, int port, int rank, int size, Duration timeout) {
    Objects.requireNonNull(host, "host");
    checkRank(rank, size);
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port = " + port + " must lie in [1, 65535]");
    }
    Milliseconds ms = new Milliseconds(timeout.toMillis());
    TCPStoreOptions options = new TCPStoreOptions();
    options.port((short) port);
    options.isServer(rank == 0);
    options.waitWorkers(false);
    options.timeout(ms);
    TCPStore store = new TCPStore(host, options);
    ProcessGroupGloo.Options glooOptions = ProcessGroupGloo.Options.create(ms);
    glooOptions.devices().push_back(ProcessGroupGloo.createDeviceForHostname(host));
    ProcessGroupGloo group = new ProcessGroupGloo(store, rank, size, glooOptions);
    return new TorchAllReduce(group, rank, size, store);
  }

  private static void checkRank(int rank, int size) {
    if (size < 1) {
      throw new IllegalArgumentException("size = " + size + " must be >= 1");
    }
    if (rank < 0 || rank >= size) {
      throw new IllegalArgumentException("rank = " + rank + " must lie in [0, size = " + size + ")");
    }
  }

  public int rank() {
    return rank;
  }

  public int size() {
    return size;
  }

  @Override
  public void maxInPlace(float[] values) {
    reduceFloats(values, ReduceOp.RedOpType.MAX);
  }

  @Override
  public void sumInPlace(float[] values) {
    reduceFloats(values, ReduceOp.RedOpType.SUM);
  }

  @Override
  public void sumInPlace(double[] values) {
    Objects.requireNonNull(values, "values");
    if (values.length > 0) {
      try (DoublePointer p = new DoublePointer(values)) {
        reduce(p, values.length, ScalarType.Double, ReduceOp.RedOpType.SUM);
        p.get(values);
      }
    }
  }

  /**
   * The MAX over the group's ranks of {@code count} floats at {@code source} into {@code target},
   * in the memory of {@code device} (a CUDA device for {@code ProcessGroupNCCL}, host memory for
   * Gloo). On CUDA, {@code stream} must be libtorch's current stream of that device: the process
   * group orders its collective after the work queued there, and work queued there after this
   * call sees the reduced values.
   */
  @Override
  public void maxInto(Device device, long stream, long source, long target, long count) {
    Tensor s = view(device, stream, source, count, "source");
    Tensor t = view(device, stream, target, count, "target");
    if (count > 0) {
      if (source != target) {
        t.copy_(s);
      }
      reduce(t, ReduceOp.RedOpType.MAX);
    }
  }

  /** The SUM over the group's ranks, in place; the same memory and stream rules as maxInto. */
  @Override
  public void sumInPlace(Device device, long stream, long address, long count) {
    Tensor t = view(device, stream, address, count, "address");
    if (count > 0) {
      reduce(t, ReduceOp.RedOpType.SUM);
    }
  }

  /** {@code count} float32 at {@code address} on {@code device} as a tensor that owns nothing. */
  private static Tensor view(Device device, long stream, long address, long count, String name) {
    Objects.requireNonNull(device, "device");
    if (count < 0) {
      throw new IllegalArgumentException("count = " + count + " must be >= 0");
    }
    if (address == 0 && count > 0) {
      throw new IllegalArgumentException(name + " is 0");
    }
    TensorOptions options = new TensorOptions(ScalarType.Float);
    if (device.isCuda()) {
      long current = CudaStreams.currentStream(device.index());
      if (stream != current) {
        throw new IllegalArgumentException("stream = " + stream + " is not libtorch's current"
            + " stream of " + device + " (" + current + "), which the collective follows");
      }
      options = options.device(new DeviceOptional(new org.bytedeco.pytorch.Device(
          torch.DeviceType.CUDA, (byte) device.index())));
    } else if (stream != 0) {
      throw new IllegalArgumentException("stream = " + stream + " must be 0 for host memory");
    }
    final long where = address;
    Pointer data = new Pointer() {
      {
        this.address = where;
      }
    };
    return torch.from_blob(data, new long[] {count}, options);
  }

  private void reduceFloats(float[] values, ReduceOp.RedOpType op) {
    Objects.requireNonNull(values, "values");
    if (values.length > 0) {
      try (FloatPointer p = new FloatPointer(values)) {
        reduce(p, values.length, ScalarType.Float, op);
        p.get(values);
      }
    }
  }

  /**
   * All-reduces {@code length} elements of host memory in place, as a CPU tensor over that
   * memory. Empty arrays never reach here: every rank holds the same length, so an empty one
   * has nothing to exchange on any rank.
   */
  private void reduce(Pointer data, long length, ScalarType type, ReduceOp.RedOpType op) {
    reduce(torch.from_blob(data, new long[] {length}, new TensorOptions(type)), op);
  }

  private void reduce(Tensor t, ReduceOp.RedOpType op) {
    AllreduceOptions options = new AllreduceOptions();
    options.reduceOp(new ReduceOp(op));
    TensorVector tensors = new TensorVector(t);
    group.allreduce(tensors, options)._wait();
  }
}
