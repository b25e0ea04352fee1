package dev.reweigh;

import static dev.reweigh.internal.Status.check;

import dev.reweigh.internal.NativeLibrary;
import dev.reweigh.nativeapi.ReweighNative;
import java.util.function.Supplier;

/** What this build and machine can run, and the CPU execution settings. */
public final class Capabilities {
  private Capabilities() {}

  /** Version of the native library, e.g. {@code 0.1.0}. */
  public static String version() {
    return loaded(ReweighNative::reweigh_version_string);
  }

  /** ABI version of the native library (checked against the bindings at load). */
  public static int abiVersion() {
    return loaded(ReweighNative::reweigh_abi_version);
  }

  /** CPU kernel variant in use: {@code scalar}, {@code avx2} or {@code avx512}. */
  public static String cpuIsa() {
    return loaded(ReweighNative::reweigh_cpu_isa);
  }

  /**
   * Forces a CPU kernel variant ({@code scalar}, {@code avx2}, {@code avx512} or {@code auto});
   * {@link UnsupportedOperationException} if this CPU or OS cannot run it. The system property
   * {@code reweigh.cpu.isa} (read at first use) and the environment variable {@code
   * REWEIGH_CPU_ISA} do the same.
   */
  public static void setCpuIsa(String isa) {
    if (isa == null) {
      throw new IllegalArgumentException("isa is null");
    }
    NativeLibrary.ensureLoaded();
    check(ReweighNative.reweigh_set_cpu_isa(isa));
  }

  /** Threads the CPU kernels use (the calling thread included). */
  public static int threads() {
    return loaded(ReweighNative::reweigh_num_threads);
  }

  /**
   * Sets the CPU kernels' thread count (>= 1); safe while other threads run kernels. Keep it at or
   * below the cores left free by libtorch's and ND4J's own pools.
   */
  public static void setThreads(int threads) {
    NativeLibrary.ensureLoaded();
    check(ReweighNative.reweigh_set_num_threads(threads));
  }

  /** Whether the CUDA kernels were compiled into the native library. */
  public static boolean cudaCompiled() {
    return loaded(ReweighNative::reweigh_cuda_compiled) != 0;
  }

  /** Usable CUDA devices; 0 without a GPU or driver (never an exception). */
  public static int cudaDeviceCount() {
    return loaded(ReweighNative::reweigh_cuda_device_count);
  }

  /**
   * Why {@link #cudaDeviceCount()} is 0: empty when a device is usable, else the native library's
   * reason, e.g. built without CUDA, no driver, or the first CUDA error with the driver's CUDA
   * version next to the one the library's static runtime needs.
   */
  public static String cudaUnavailableReason() {
    return loaded(ReweighNative::reweigh_cuda_unavailable_reason);
  }

  /**
   * The memory space of an address: {@link Device#CPU} unless CUDA reports device memory. This
   * asks the CUDA runtime, which may create a CUDA context on a GPU machine; the kernels' own
   * checks of CPU batches ask only when the process already has one.
   */
  public static Device deviceOf(long address) {
    NativeLibrary.ensureLoaded();
    int[] type = new int[1];
    int[] index = new int[1];
    check(ReweighNative.reweigh_pointer_device(address, type, index));
    return type[0] == Device.Kind.CUDA.code ? Device.cuda(index[0]) : Device.CPU;
  }

  /** A query of the native library, which is loaded first. */
  private static <T> T loaded(Supplier<T> query) {
    NativeLibrary.ensureLoaded();
    return query.get();
  }
}
