package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import dev.reweigh.nativeapi.ReweighNative;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Paired timing of {@link ShardedBlocks} for K = 1, 2, 4 over the same buffers, next to the
 * roofline of those bytes measured in the same rounds (docs/design.md §6): each round times one
 * call of each K back to back (rotating the order), then one copy of the logits into the gradient
 * buffer ({@code reweigh_bench_copy}: one read + one write, the floor of the unsharded
 * forwardBackward), one read of the logits ({@code reweigh_bench_read}: the floor of a partial
 * forward) and the exponentials of one pass ({@code reweigh_bench_exp} over rows x V elements).
 * Ratios are medians of per-round ratios K / unsharded, so load drifts hit every side alike.
 *
 * <p>The structural bound of K shards: the partial forwards read the logits once, the sharded
 * backwards read them and write the gradient once more, where the unsharded kernel reads once and
 * writes once (the second pass over a row runs from cache). Both do two exponentials per element.
 * Memory-bound floor of the ratio: (read + copy) / copy; with the exponentials as the other
 * ceiling: (max(read, exp) + max(copy, exp)) / max(copy, 2 exp).
 *
 * <p>Usage: {@code ShardedPairedProbe ROWSxV f32|bf16 ROUNDS OUT.jsonl} (appends one line).
 */
public final class ShardedPairedProbe {
  private ShardedPairedProbe() {}

  public static void main(String[] args) throws Exception {
    ProbeArgs.require(args, 4, "ShardedPairedProbe ROWSxV f32|bf16 ROUNDS OUT.jsonl");
    int rounds = Integer.parseInt(args[2]);
    int[] ks = {1, 2, 4};
    try (BenchData d = BenchData.create(args[0], args[1], true)) {
      long bytes = d.shape.elements() * d.elementSize();
      long logits = d.batch.logitsAddress();
      long grad = d.grad.address();
      double[] sink = new double[1];
      ShardedBlocks[] runs = new ShardedBlocks[ks.length];
      for (int i = 0; i < ks.length; i++) {
        runs[i] = new ShardedBlocks(d, ks[i]);
        runs[i].forwardBackward(); // warm-up
      }
      double[][] ratio = new double[ks.length][rounds];
      double[][] seconds = new double[ks.length][rounds];
      double[][][] phases = new double[ks.length][3][rounds];
      double[] copy = new double[rounds];
      double[] read = new double[rounds];
      double[] exp = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        for (int j = 0; j < ks.length; j++) {
          int i = (j + r) % ks.length;
          double[] ph = new double[3];
          seconds[i][r] = FusedLinearPairedProbe.seconds(() -> runs[i].forwardBackward(ph));
          for (int q = 0; q < 3; q++) {
            phases[i][q][r] = ph[q];
          }
        }
        copy[r] = FusedLinearPairedProbe.seconds(
            () -> check(ReweighNative.reweigh_bench_copy(logits, grad, bytes)));
        read[r] = FusedLinearPairedProbe.seconds(
            () -> check(ReweighNative.reweigh_bench_read(logits, bytes, sink)));
        exp[r] = FusedLinearPairedProbe.seconds(
            () -> check(ReweighNative.reweigh_bench_exp(d.shape.elements(), sink)));
        for (int i = 0; i < ks.length; i++) {
          ratio[i][r] = seconds[i][r] / seconds[0][r];
        }
      }
      double c = FusedLinearPairedProbe.median(copy);
      double rd = FusedLinearPairedProbe.median(read);
      double e = FusedLinearPairedProbe.median(exp);
      double memoryBound = (rd + c) / c;
      double withExp = (Math.max(rd, e) + Math.max(c, e)) / Math.max(c, 2 * e);
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
          "{\"shape\":\"%s\",\"dtype\":\"%s\",\"threads\":%d,\"rounds\":%d,"
              + "\"median_ratio_k2\":%.3f,\"median_ratio_k4\":%.3f,"
              + "\"copy_s\":%.4f,\"read_s\":%.4f,\"exp_s\":%.4f,"
              + "\"bound_memory\":%.3f,\"bound_memory_exp\":%.3f",
          args[0], args[1], Capabilities.threads(), rounds,
          FusedLinearPairedProbe.median(ratio[1]), FusedLinearPairedProbe.median(ratio[2]),
          c, rd, e, memoryBound, withExp));
      String[] names = {"forward", "combine", "backward"};
      for (int i = 0; i < ks.length; i++) {
        line.append(String.format(Locale.ROOT, ",\"k%d_s\":%.4f", ks[i],
            FusedLinearPairedProbe.median(seconds[i])));
        for (int q = 0; i > 0 && q < 3; q++) {
          line.append(String.format(Locale.ROOT, ",\"k%d_%s_s\":%.4f", ks[i], names[q],
              FusedLinearPairedProbe.median(phases[i][q])));
        }
      }
      line.append(String.format("}%n"));
      System.out.print(line);
      Files.writeString(Path.of(args[3]), line, StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
  }

  private static void check(int status) {
    if (status != 0) {
      throw new IllegalStateException("roofline helper status " + status);
    }
  }
}
