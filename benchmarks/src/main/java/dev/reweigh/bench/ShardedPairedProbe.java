package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Paired timing of {@link ShardedBlocks} for K = 1, 2, 4 over the same buffers: each round times
 * one call of each K back to back (rotating the order), and the figures are the medians of the
 * per-round ratios K / unsharded, so load drifts on a shared machine hit every side alike.
 *
 * <p>Usage: {@code ShardedPairedProbe ROWSxV f32|bf16 ROUNDS OUT.jsonl} (appends one line).
 */
public final class ShardedPairedProbe {
  private ShardedPairedProbe() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: ShardedPairedProbe ROWSxV f32|bf16 ROUNDS OUT.jsonl");
      System.exit(2);
    }
    int rounds = Integer.parseInt(args[2]);
    int[] ks = {1, 2, 4};
    try (BenchData d = BenchData.create(args[0], args[1], true)) {
      ShardedBlocks[] runs = new ShardedBlocks[ks.length];
      for (int i = 0; i < ks.length; i++) {
        runs[i] = new ShardedBlocks(d, ks[i]);
        runs[i].forwardBackward(); // warm-up
      }
      double[][] ratio = new double[ks.length][rounds];
      for (int r = 0; r < rounds; r++) {
        double[] t = new double[ks.length];
        for (int j = 0; j < ks.length; j++) {
          int i = (j + r) % ks.length;
          t[i] = FusedLinearPairedProbe.seconds(runs[i]::forwardBackward);
        }
        for (int i = 0; i < ks.length; i++) {
          ratio[i][r] = t[i] / t[0];
        }
      }
      String line = String.format(Locale.ROOT,
          "{\"shape\":\"%s\",\"dtype\":\"%s\",\"threads\":%d,\"rounds\":%d,"
              + "\"median_ratio_k2\":%.3f,\"median_ratio_k4\":%.3f}%n",
          args[0], args[1], Capabilities.threads(), rounds,
          FusedLinearPairedProbe.median(ratio[1]), FusedLinearPairedProbe.median(ratio[2]));
      System.out.print(line);
      Files.writeString(Path.of(args[3]), line, StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
  }
}
