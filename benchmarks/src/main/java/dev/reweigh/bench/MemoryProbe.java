package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import dev.reweigh.FusedLoss;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;

/**
 * Peak extra memory of one weighted forwardBackward call, for Reweigh and for libtorch at the same
 * shape, in a fresh JVM per (impl, shape, dtype).
 *
 * <p>Method (Linux): inputs (and Reweigh's separate gradient buffer) are allocated and touched
 * first; then {@code echo 5 > /proc/self/clear_refs} resets the process's peak RSS (VmHWM) to the
 * current RSS, the call runs, and extra = VmHWM - VmRSS(before). This counts every page the call
 * touches for the first time: native scratch, libtorch's temporaries and its gradient, and Java
 * heap growth. Two calls are measured: "first" (cold: Reweigh allocates its per-thread row scratch,
 * libtorch its lazy state) and "warm" (the steady state of a training loop). Resolution: a page;
 * JIT and GC threads add noise of the order of 1 MB.
 *
 * <p>Usage: {@code MemoryProbe reweigh|libtorch SHAPE f32|bf16 OUT.json} (appends one line).
 */
public final class MemoryProbe {
  private MemoryProbe() {}

  @SuppressWarnings("try") // each PointerScope frees the tensors of one call when it closes
  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: MemoryProbe reweigh|libtorch SHAPE f32|bf16 OUT.json");
      System.exit(2);
    }
    String impl = args[0];
    String shape = args[1];
    String dtype = args[2];
    long first;
    long warm;
    if (impl.equals("reweigh")) {
      try (BenchData d = BenchData.create(shape, dtype, true)) {
        // Load the library and the Java classes on a tiny batch, so the probe sees the call.
        try (BenchData tiny = BenchData.create("1x16", dtype, true)) {
          FusedLoss.forwardBackward(tiny.batch, tiny.coefficients, tiny.spec, tiny.gradOut);
        }
        first = peakExtra(() -> check(FusedLoss.forwardBackward(d.batch, d.coefficients, d.spec,
            d.gradOut).total()));
        warm = peakExtra(() -> check(FusedLoss.forwardBackward(d.batch, d.coefficients, d.spec,
            d.gradOut).total()));
      }
    } else if (impl.equals("libtorch")) {
      try (BenchData d = BenchData.create(shape, dtype, false)) {
        TorchPeer peer = new TorchPeer(d);
        Runnable call = () -> check(peer.forwardBackward());
        first = peakExtra(call);
        warm = peakExtra(call);
        peer.close();
      }
    } else {
      throw new IllegalArgumentException("impl must be reweigh or libtorch: " + impl);
    }
    String line = String.format(Locale.ROOT,
        "{\"impl\":\"%s\",\"shape\":\"%s\",\"dtype\":\"%s\",\"threads\":%d,"
            + "\"first_call_extra_bytes\":%d,\"warm_call_extra_bytes\":%d}%n",
        impl, shape, dtype, Capabilities.threads(), first, warm);
    System.out.print(line);
    Files.writeString(Path.of(args[3]), line, StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
  }

  private static void check(double total) {
    if (!(total > 0 && total < 100)) {
      throw new IllegalStateException("weighted loss = " + total);
    }
  }

  /** Peak RSS growth over the call, in bytes (VmHWM after a clear_refs reset). */
  static long peakExtra(Runnable call) throws IOException, InterruptedException {
    System.gc();
    Thread.sleep(200);
    long before = statusKb("VmRSS");
    Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    call.run();
    long peak = statusKb("VmHWM");
    return Math.max(0, peak - before) * 1024;
  }

  static long statusKb(String key) throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith(key + ":")) {
        return Long.parseLong(l.substring(key.length() + 1).trim().split("\\s+")[0]);
      }
    }
    throw new IOException(key + " not in /proc/self/status");
  }
}
