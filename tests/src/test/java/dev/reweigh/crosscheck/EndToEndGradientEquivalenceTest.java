package dev.reweigh.crosscheck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.reweigh.LossSpec;
import dev.reweigh.pytorch.TorchBatch;
import dev.reweigh.pytorch.TorchLoss;
import dev.reweigh.pytorch.TorchResult;
import dev.reweigh.testkit.RefOptions;
import dev.reweigh.testkit.RefOptions.Mode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * End to end: a small libtorch language model (Embedding -> Linear -> tanh -> Linear, built from
 * Java) takes one weighted causal-LM step twice from the same weights: once with Reweigh's
 * gradient injected through {@code logits.backward(grad)} ({@link TorchLoss#step}), once through
 * libtorch's own {@code cross_entropy} (shifted logits, reduction none, per-sample weighting and
 * normalisation written with libtorch ops). Every parameter gradient must agree.
 *
 * <p>Tolerance: the two logits gradients agree to fp32 rounding (see the libtorch cross-check);
 * libtorch then runs the identical backward graph on both, so parameter gradients agree to 1e-5
 * of the largest entry of each parameter's gradient (about 80 float32 eps).
 */
class EndToEndGradientEquivalenceTest {
  private static final Diffs DIFFS = new Diffs("libtorch autograd end to end");
  private static final double FP32 = 1e-5;

  record Config(String label, int b, int t, int v, int d, RefOptions o, int promptLength,
      boolean negative, boolean inPlace) {
    @Override
    public String toString() {
      return label;
    }
  }

  static Stream<Arguments> configs() {
    List<Arguments> out = new ArrayList<>();
    out.add(Arguments.of(new Config("V=257 causal, MEAN, WEIGHT_SUM, in place", 3, 12, 257, 32,
        RefOptions.DEFAULTS, 0, false, true)));
    out.add(Arguments.of(new Config("V=1000 smoothing 0.1, SUM, TOKENS, separate grad", 2, 9,
        1000, 24, RefOptions.DEFAULTS.eps(0.1).summed().mode(Mode.TOKENS), 0, false, false)));
    out.add(Arguments.of(new Config("V=131 masked prompts, NONE, negative c (DPO-like)", 4, 10,
        131, 16, RefOptions.DEFAULTS.mode(Mode.NONE), 3, true, true)));
    out.add(Arguments.of(new Config("V=32000 prompt of 2 masked, smoothing 0.05, D=5", 2, 6, 32000, 16,
        RefOptions.DEFAULTS.eps(0.05).explicit(5.0), 2, false, true)));
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configs")
  void sameParameterGradients(Config cfg) {
    SplittableRandom rnd = new SplittableRandom(cfg.v() * 31L + cfg.b());
    int b = cfg.b();
    int t = cfg.t();
    long ignore = cfg.o().ignoreIndex();
    long[] tokens = new long[b * t];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = rnd.nextInt(cfg.v());
    }
    // labels[b, t] = the token row t predicts (t + 1), ignored on the last position and on the
    // prompt (positions whose next token is still prompt).
    long[] labels = new long[b * t];
    for (int s = 0; s < b; s++) {
      for (int j = 0; j < t; j++) {
        boolean scored = j + 1 < t && j + 1 >= cfg.promptLength();
        labels[s * t + j] = scored ? tokens[s * t + j + 1] : ignore;
      }
    }
    float[] c = new float[b];
    for (int s = 0; s < b; s++) {
      double v = 0.2 + 1.6 * rnd.nextDouble();
      c[s] = (float) (cfg.negative() && s % 2 == 1 ? -v : v);
    }
    Tensor tokensT = T.longs(tokens, b, t);
    TinyLm model = new TinyLm(cfg.v(), cfg.d(), 42);
    LossSpec spec = cfg.o().spec();
    RefOptions o = cfg.o();

    // ---- step 1: Reweigh's gradient injected via logits.backward(grad) ----
    Tensor logits = model.logits(tokensT);
    TorchBatch batch = cfg.promptLength() == 0
        ? TorchBatch.causal(logits, tokensT, ignore)
        : TorchBatch.padded(logits, T.longs(labels, b, t));
    TorchResult r = TorchLoss.step(batch, c, spec, cfg.inPlace());
    List<double[]> reweighGrads = model.gradsAndZero();

    // ---- step 2: the same model through libtorch's own loss ----
    Tensor logits2 = model.logits(tokensT);
    long vv = cfg.v();
    Tensor flat = logits2.reshape(b * (long) t, vv);
    Tensor rowLoss = torch.cross_entropy_loss(flat, T.longs(labels, (long) b * t),
        new TensorOptional(), 0L /* none */, ignore, o.eps()).view(b, t);
    double[] counts = new double[b];
    for (int i = 0; i < labels.length; i++) {
      counts[i / t] += labels[i] != ignore ? 1 : 0;
    }
    double[] scale = new double[b]; // c_s / (n_s D) for MEAN, c_s / D for SUM
    double d = 0;
    for (int s = 0; s < b; s++) {
      switch (o.mode()) {
        case WEIGHT_SUM:
          d += counts[s] > 0 ? c[s] : 0;
          break;
        case TOKENS:
          d += counts[s];
          break;
        case SAMPLES:
          d += counts[s] > 0 ? 1 : 0;
          break;
        case NONE:
          d = 1;
          break;
        default:
          d = o.d();
      }
    }
    for (int s = 0; s < b; s++) {
      boolean mean = !o.sum();
      scale[s] = counts[s] == 0 ? 0 : c[s] / d / (mean ? counts[s] : 1);
    }
    Tensor perSample = torch.sum(rowLoss, new long[] {1}, false,
        new org.bytedeco.pytorch.ScalarTypeOptional());
    Tensor total = perSample.to(T.CPU, torch.ScalarType.Double).mul(T.doubles(scale, b)).sum();
    total.backward();
    List<double[]> torchGrads = model.gradsAndZero();

    String[] names = {"embedding.weight", "hidden.weight", "hidden.bias", "head.weight",
        "head.bias"};
    assertEquals(names.length, reweighGrads.size(), "parameter count");
    for (int i = 0; i < names.length; i++) {
      double gradScale = Math.max(T.maxAbs(torchGrads.get(i)), 1e-30);
      DIFFS.check("grad " + names[i], cfg.label(), reweighGrads.get(i), torchGrads.get(i),
          gradScale, FP32);
    }
    DIFFS.check("weighted total", cfg.label(), new double[] {r.total()},
        new double[] {total.item_double()}, 1e-3, FP32);
    DIFFS.caseDone();
  }

  @AfterAll
  static void report() {
    DIFFS.report();
  }
}
