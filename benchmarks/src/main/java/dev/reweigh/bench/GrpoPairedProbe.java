package dev.reweigh.bench;

import dev.reweigh.FusedLoss;
import dev.reweigh.SampleStats;
import dev.reweigh.TokenLoss;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Paired ratios for the GRPO targets on a shared machine (the method of {@link PairedProbe}: in
 * one JVM, over the same buffers, each round times one call of every contender back to back, in
 * an order that rotates from round to round; the figure is the median over rounds of each
 * per-round ratio):
 *
 * <ul>
 *   <li>{@code rowWeights_extra}: {@code TokenLoss.backward} with row weights over {@code
 *       FusedLoss.backward}, same spec, coefficients and statistics (target <= 1.10);
 *   <li>{@code rowWeightsEntropy_extra}: the same with the entropy term (target <= 1.10);
 *   <li>{@code grpoStep_over_forwardBackward}: the whole GRPO step ({@link GrpoData}) over
 *       today's per-sample {@code FusedLoss.forwardBackward}; {@code grpoStepEntropy_over_
 *       forwardBackward} with the entropy bonus;
 *   <li>{@code grpoStep_over_forward_plus_backward}: over the per-sample two-phase step;
 *   <li>{@code grpoStep_speedup_vs_libtorch}: {@link TorchGrpoPeer} over the GRPO step (target
 *       >= 10), when WITH_LIBTORCH is 1;
 *   <li>{@code onePass_over_forwardBackward}, {@code onePassEntropy_over_forwardBackward}: the
 *       one-pass step ({@code PolicyLoss.forwardBackward}) over {@code FusedLoss.forwardBackward};
 *       {@code grpoStep_over_onePass}: the two-phase step over the one-pass one; {@code
 *       onePass_speedup_vs_libtorch}: {@link TorchGrpoPeer} over the one-pass step (target >=
 *       10), when WITH_LIBTORCH is 1.
 * </ul>
 *
 * <p>Usage: {@code GrpoPairedProbe SHAPE f32|bf16 ROUNDS WITH_LIBTORCH(0|1) OUT.jsonl} (appends
 * one line).
 */
public final class GrpoPairedProbe {
  private GrpoPairedProbe() {}

  private static final String[] NAMES = {"backward", "backwardRows", "backwardRowsEntropy",
      "forwardBackward", "forwardThenBackward", "grpoStep", "grpoStepEntropy", "onePass",
      "onePassEntropy", "libtorch_grpoStep"};

  /**
   * Seconds of each call per round, after one warm-up call each (page faults, lazy init, JIT of
   * the wrappers). Round r starts at call r mod n, so no contender always runs right after the
   * same neighbour (a call that leaves the caches cold or the clock low for the next).
   */
  static double[][] time(Runnable[] calls, int rounds) {
    int n = calls.length;
    double[][] t = new double[n][rounds];
    for (Runnable c : calls) {
      c.run();
    }
    for (int r = 0; r < rounds; r++) {
      for (int j = 0; j < n; j++) {
        int i = (r + j) % n;
        long t0 = System.nanoTime();
        calls[i].run();
        t[i][r] = (System.nanoTime() - t0) * 1e-9;
      }
    }
    return t;
  }

  public static void main(String[] args) throws Exception {
    String shape = args[0];
    String dtype = args[1];
    int rounds = Integer.parseInt(args[2]);
    boolean withTorch = Integer.parseInt(args[3]) != 0;
    try (BenchData d = BenchData.create(shape, dtype, true)) {
      GrpoData g = new GrpoData(d);
      SampleStats st = FusedLoss.forward(d.batch, d.spec);
      float[] w = g.objective(FusedLoss.forward(d.batch, GrpoData.SPEC)).rowWeights();
      TorchGrpoPeer peer = withTorch ? new TorchGrpoPeer(g) : null;
      Runnable[] calls = {
        () -> FusedLoss.backward(d.batch, st, d.coefficients, d.spec, d.gradOut),
        () -> TokenLoss.backward(d.batch, st, d.coefficients, w, null, d.spec, d.gradOut),
        () -> TokenLoss.backward(d.batch, st, d.coefficients, w, g.entropyWeights, d.spec,
            d.gradOut),
        () -> Guard.cheap(FusedLoss.forwardBackward(d.batch, d.coefficients, d.spec, d.gradOut)),
        () -> FusedLoss.backward(d.batch, FusedLoss.forward(d.batch, d.spec), d.coefficients,
            d.spec, d.gradOut),
        () -> g.step(false),
        () -> g.step(true),
        () -> g.onePass(false),
        () -> g.onePass(true),
        () -> {
          if (peer != null) {
            peer.step(-1, null);
          }
        }};
      double[][] t = time(calls, rounds);
      Map<String, Double> fields = new LinkedHashMap<>();
      for (int i = 0; i < NAMES.length; i++) {
        if (i < NAMES.length - 1 || withTorch) {
          fields.put(NAMES[i] + "_ms", 1e3 * PairedProbe.median(t[i]));
        }
      }
      fields.put("rowWeights_extra", PairedProbe.medianRatio(t[1], t[0]));
      fields.put("rowWeightsEntropy_extra", PairedProbe.medianRatio(t[2], t[0]));
      fields.put("grpoStep_over_forwardBackward", PairedProbe.medianRatio(t[5], t[3]));
      fields.put("grpoStepEntropy_over_forwardBackward", PairedProbe.medianRatio(t[6], t[3]));
      fields.put("grpoStep_over_forward_plus_backward", PairedProbe.medianRatio(t[5], t[4]));
      fields.put("onePass_over_forwardBackward", PairedProbe.medianRatio(t[7], t[3]));
      fields.put("onePassEntropy_over_forwardBackward", PairedProbe.medianRatio(t[8], t[3]));
      fields.put("grpoStep_over_onePass", PairedProbe.medianRatio(t[5], t[7]));
      if (withTorch) {
        fields.put("grpoStep_speedup_vs_libtorch", PairedProbe.medianRatio(t[9], t[5]));
        fields.put("onePass_speedup_vs_libtorch", PairedProbe.medianRatio(t[9], t[7]));
      }
      String head = String.format(Locale.ROOT,
          "{\"probe\":\"grpo\",\"shape\":\"%s\",\"dtype\":\"%s\",\"rounds\":%d", shape, dtype,
          rounds);
      String line = fields.entrySet().stream()
          .map(e -> String.format(Locale.ROOT, ",\"%s\":%.4f", e.getKey(), e.getValue()))
          .collect(Collectors.joining("", head, "}\n"));
      System.out.print(line);
      Files.writeString(Path.of(args[4]), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      if (peer != null) {
        peer.close();
      }
    }
  }
}
