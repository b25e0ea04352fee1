package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;

/**
 * Paired timing of the fused and unfused linear + cross-entropy ({@link LinearHeadData}) on a
 * shared machine, as {@link PairedProbe} does for the kernels: each round times one call of each
 * path back to back (the order alternates between rounds) and the figure is the median of the
 * per-round ratios fused / unfused, so load drifts hit both sides alike.
 *
 * <p>Usage: {@code FusedLinearPairedProbe ROWSxHxV f32|bf16 CHUNK_MIB ROUNDS OUT.jsonl}.
 */
public final class FusedLinearPairedProbe {
  private FusedLinearPairedProbe() {}

  public static void main(String[] args) throws Exception {
    ProbeArgs.require(args, 5,
        "FusedLinearPairedProbe ROWSxHxV f32|bf16 CHUNK_MIB ROUNDS OUT.jsonl");
    LinearHeadData d = new LinearHeadData(args[0], args[1]);
    long chunk = Long.parseLong(args[2]) << 20;
    int rounds = Integer.parseInt(args[3]);
    d.fused(chunk); // warm-up of both paths
    d.unfused();
    double[] fused = new double[rounds];
    double[] unfused = new double[rounds];
    double[] ratio = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      if (i % 2 == 0) {
        fused[i] = seconds(() -> d.fused(chunk));
        unfused[i] = seconds(d::unfused);
      } else {
        unfused[i] = seconds(d::unfused);
        fused[i] = seconds(() -> d.fused(chunk));
      }
      ratio[i] = fused[i] / unfused[i];
    }
    String line = String.format(Locale.ROOT,
        "{\"shape\":\"%s\",\"dtype\":\"%s\",\"chunk_mib\":%s,\"threads\":%d,\"rounds\":%d,"
            + "\"fused_s\":%s,\"unfused_s\":%s,\"median_ratio\":%.3f}%n",
        args[0], args[1], args[2], Capabilities.threads(), rounds, Arrays.toString(fused),
        Arrays.toString(unfused), median(ratio));
    System.out.print(line);
    Files.writeString(Path.of(args[4]), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  static double seconds(Runnable call) {
    long t0 = System.nanoTime();
    call.run();
    return (System.nanoTime() - t0) / 1e9;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
  }
}
