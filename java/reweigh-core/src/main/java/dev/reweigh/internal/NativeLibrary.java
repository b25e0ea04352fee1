package dev.reweigh.internal;

import dev.reweigh.nativeapi.ReweighNative;

/**
 * Loads libreweigh once and checks that its ABI matches these bindings (as JavaCPP presets do with
 * {@code Loader.checkVersion}), then applies the system properties {@code reweigh.cpu.isa} and
 * {@code reweigh.threads}. The holder idiom defers loading to first use and is thread safe.
 */
public final class NativeLibrary {
  private NativeLibrary() {}

  private static final class Holder {
    static final boolean LOADED = load();

    private static boolean load() {
      int abi = ReweighNative.reweigh_abi_version();
      if (abi != ReweighNative.ABI_VERSION) {
        throw new IllegalStateException(
            "libreweigh ABI version " + abi + " does not match the Java bindings' "
                + ReweighNative.ABI_VERSION + ": the jar mixes builds");
      }
      String isa = System.getProperty("reweigh.cpu.isa");
      if (isa != null && !isa.isEmpty()) {
        Status.check(ReweighNative.reweigh_set_cpu_isa(isa));
      }
      String threads = System.getProperty("reweigh.threads");
      if (threads != null && !threads.isEmpty()) {
        Status.check(ReweighNative.reweigh_set_num_threads(Integer.parseInt(threads.trim())));
      }
      return true;
    }
  }

  /** Ensures the library is loaded and compatible; cheap after the first call. */
  public static void ensureLoaded() {
    if (!Holder.LOADED) {
      throw new IllegalStateException("unreachable");
    }
  }
}
