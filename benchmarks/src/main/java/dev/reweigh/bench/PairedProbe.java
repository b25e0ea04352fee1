package dev.reweigh.bench;

import dev.reweigh.FusedLoss;
import dev.reweigh.SampleStats;
import dev.reweigh.nativeapi.ReweighNative;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * Paired measurement for the ratio targets on a shared machine: in one JVM, over the same
 * buffers, each round times one call of every contender back to back (copy, read, Reweigh
 * forward / forwardBackward / backward, libtorch forward / forwardBackward), and the figure is the
 * median over rounds of each per-round ratio. Slow drifts in the machine's load hit both sides of
 * a ratio alike, which separate JMH forks minutes apart cannot promise. The JMH figures remain the
 * reference numbers; this is the cross-check reported next to them.
 *
 * <p>Usage: {@code PairedProbe SHAPE f32|bf16 ROUNDS OUT.jsonl} (appends one line).
 */
public final class PairedProbe {
  private PairedProbe() {}

  private static final String[] NAMES = {"copy", "read", "forward", "forwardBackward", "backward",
      "libtorch_forward", "libtorch_forwardBackward"};

  @SuppressWarnings("try") // each PointerScope frees the tensors of one call when it closes
  public static void main(String[] args) throws Exception {
    String shape = args[0];
    String dtype = args[1];
    int rounds = Integer.parseInt(args[2]);
    try (BenchData d = BenchData.create(shape, dtype, true)) {
      long bytes = d.logitBytes();
      Pointer dst = new BytePointer(bytes);
      Pointer.memset(dst, 0, bytes);
      double[] checksum = new double[1];
      TorchPeer peer = new TorchPeer(d);
      SampleStats st = FusedLoss.forward(d.batch, d.spec);
      Runnable[] calls = {
        () -> ReweighNative.reweigh_bench_copy(d.logits.address(), dst.address(), bytes),
        () -> ReweighNative.reweigh_bench_read(d.logits.address(), bytes, checksum),
        () -> Guard.cheap(FusedLoss.forward(d.batch, d.spec)),
        () -> Guard.cheap(FusedLoss.forwardBackward(d.batch, d.coefficients, d.spec, d.gradOut)),
        () -> FusedLoss.backward(d.batch, st, d.coefficients, d.spec, d.gradOut),
        peer::forward,
        peer::forwardBackward};
      double[][] t = new double[NAMES.length][rounds];
      for (Runnable c : calls) {
        c.run(); // warm: page faults, lazy init, JIT of the wrappers
      }
      for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < calls.length; i++) {
          long t0 = System.nanoTime();
          calls[i].run();
          t[i][r] = (System.nanoTime() - t0) * 1e-9;
        }
      }
      Map<String, Double> ratio = new LinkedHashMap<>();
      ratio.put("forward_read_roofline_fraction", medianRatio(t[1], t[2]));
      ratio.put("forward_roofline_fraction", medianRatio(t[0], t[2]) / 2);
      ratio.put("forwardBackward_roofline_fraction", medianRatio(t[0], t[3]));
      ratio.put("backward_roofline_fraction", medianRatio(t[0], t[4]));
      ratio.put("forward_speedup_vs_libtorch", medianRatio(t[5], t[2]));
      ratio.put("forwardBackward_speedup_vs_libtorch", medianRatio(t[6], t[3]));
      StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
          "{\"shape\":\"%s\",\"dtype\":\"%s\",\"rounds\":%d", shape, dtype, rounds));
      for (int i = 0; i < NAMES.length; i++) {
        b.append(String.format(Locale.ROOT, ",\"%s_ms\":%.4f", NAMES[i], 1e3 * median(t[i])));
      }
      for (Map.Entry<String, Double> e : ratio.entrySet()) {
        b.append(String.format(Locale.ROOT, ",\"%s\":%.4f", e.getKey(), e.getValue()));
      }
      String line = b.append("}\n").toString();
      System.out.print(line);
      Files.writeString(Path.of(args[3]), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      dst.close();
      peer.close();
    }
  }

  /** Median over rounds of num[r] / den[r]. */
  static double medianRatio(double[] num, double[] den) {
    double[] q = new double[num.length];
    for (int i = 0; i < q.length; i++) {
      q[i] = num[i] / den[i];
    }
    return median(q);
  }

  static double median(double[] x) {
    double[] s = x.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
