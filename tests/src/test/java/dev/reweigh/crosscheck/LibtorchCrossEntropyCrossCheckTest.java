package dev.reweigh.crosscheck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.reweigh.LossSpec;
import dev.reweigh.crosscheck.Problem.Shape;
import dev.reweigh.pytorch.TorchBatch;
import dev.reweigh.pytorch.TorchLoss;
import dev.reweigh.pytorch.TorchResult;
import dev.reweigh.pytorch.TorchStats;
import dev.reweigh.testkit.OptionGrid;
import dev.reweigh.testkit.RefOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reweigh (through the PyTorch adapter) against libtorch's own {@code cross_entropy} (reduction
 * none, ignore_index, label_smoothing) and its autograd gradient, on every shape of {@link Grid}
 * and every option libtorch can express: per-sample losses, log-prob sums, mean entropies, token
 * counts, the weighted total and the gradient of both the fused forwardBackward and the two-phase
 * forward + backward. logitScale, softcap and z-loss are composed from libtorch ops ({@code mul},
 * {@code tanh}, {@code logsumexp}) so autograd differentiates them independently.
 *
 * <p>Tolerances. fp32: both sides compute in float32 (eps 1.2e-7) but reduce rows of up to 50257
 * terms in different orders, so values agree to a few hundred eps, not bit for bit; the bounds
 * below are 1e-5 (about 80 eps) scaled by |value| (+1 for values near 0: losses). A gradient
 * entry is {@code w_r * (softmax - target distribution)} (times the chain-rule factors of scale,
 * softcap and z-loss), computed in fp32, so its absolute error is a few eps times |w_r| however
 * small the entry (with V = 1 it is 1 - 0.9 - 0.1, exactly 0 in libtorch, 1.5e-8 here): the
 * gradient scale is the case's largest |w_r| or largest entry, whichever is larger. bf16: both
 * sides read the same bf16 logits and compute in fp32, so statistics keep the fp32 bounds; the
 * gradient Reweigh writes is bf16, rounded to nearest: half a bf16 ulp, 2^-9 relative, so the
 * bound is 2^-8 (one ulp) plus the fp32 bound.
 */
class LibtorchCrossEntropyCrossCheckTest {
  private static final Diffs DIFFS = new Diffs("libtorch cross_entropy");
  private static final double FP32 = 1e-5;
  private static final double BF16_GRAD = Math.scalb(1.0, -8) + FP32;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    long seed = 1000;
    for (Shape shape : Grid.SHAPES) {
      for (OptionGrid.Named opt : OptionGrid.TORCH) {
        out.add(Arguments.of(shape, opt, "fp32", seed++));
      }
      // bf16 logits: defaults and smoothing/SUM (the gradient is the bf16-specific part).
      out.add(Arguments.of(shape, OptionGrid.TORCH.get(0), "bf16", seed++));
      out.add(Arguments.of(shape, OptionGrid.TORCH.get(1), "bf16", seed++));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} | {1} | {2}")
  @MethodSource("cases")
  void matchesLibtorch(Shape shape, OptionGrid.Named opt, String dtype, long seed) {
    Problem p = new Problem(shape, opt, seed);
    String label = p.describe() + " " + dtype;
    boolean bf16 = dtype.equals("bf16");
    LossSpec spec = p.spec;
    RefOptions o = p.o;

    // ---- inputs: the same logits values on both sides (bf16-rounded for the bf16 cases) ----
    Tensor base = T.floats(p.logits, p.rows, p.v);
    Tensor logits = bf16 ? base.to(T.CPU, ScalarType.BFloat16) : base;
    Tensor y = T.longs(p.targets, p.rows);

    // ---- libtorch reference ----
    Tensor z = logits.to(T.CPU, ScalarType.Float).detach().clone().set_requires_grad(true);
    Tensor zz = z;
    if (o.scale() != 1) {
      zz = zz.mul(new Scalar(o.scale()));
    }
    if (o.softcap() > 0) {
      zz = torch.tanh(zz.div(new Scalar(o.softcap()))).mul(new Scalar(o.softcap()));
    }
    Tensor rowLoss = torch.cross_entropy_loss(zz, y, new TensorOptional(), 0L /* none */,
        o.ignoreIndex(), o.eps());
    double[] counted = new double[p.rows];
    for (int r = 0; r < p.rows; r++) {
      counted[r] = p.counted(r) ? 1 : 0;
    }
    if (o.lambda() > 0) {
      Tensor lse = torch.logsumexp(zz, new long[] {1}, false);
      rowLoss = rowLoss.add(lse.mul(lse).mul(new Scalar(o.lambda()))
          .mul(T.doubles(counted, p.rows).to(T.CPU, ScalarType.Float)));
    }
    Tensor total = rowLoss.to(T.CPU, ScalarType.Double).mul(T.doubles(p.rowWeights(), p.rows))
        .sum();
    total.backward();
    double[] refGrad = T.toDoubles(z.grad());
    double refTotal = total.item_double();
    Tensor zd = zz.detach();
    double[] refRowLoss = T.toDoubles(rowLoss.detach());
    double[] refLogp = T.toDoubles(torch.cross_entropy_loss(zd, y, new TensorOptional(), 0L,
        o.ignoreIndex(), 0.0).neg());
    Tensor lsm = torch.log_softmax(zd, 1);
    double[] refEntropy = T.toDoubles(torch.sum(lsm.exp().mul(lsm), new long[] {1}, false,
        new ScalarTypeOptional()).neg());
    boolean mean = !o.sum();
    double[] wantLoss = p.perSample(refRowLoss, mean);
    double[] wantLogp = p.perSample(refLogp, false);
    double[] wantEntropy = p.perSample(refEntropy, true);
    double[] wantCounts = new double[p.samples()];
    for (int s = 0; s < p.samples(); s++) {
      wantCounts[s] = p.tokenCount(s);
    }
    // Natural scale of the total: the size of its summands (they may cancel with c_s < 0).
    double totalScale = p.totalScale(wantLoss);
    double gradScale = Math.max(T.maxAbs(refGrad), T.maxAbs(p.rowWeights()));

    // ---- Reweigh through the adapter ----
    TorchBatch batch;
    Tensor grad;
    Tensor grad2;
    if (shape.padded()) {
      int b = p.samples();
      int t = shape.lengths()[0];
      batch = TorchBatch.padded(logits.view(b, t, p.v), y.view(b, t));
      grad = torch.zeros_like(logits).view(b, t, p.v);
      grad2 = torch.zeros_like(logits).view(b, t, p.v);
    } else {
      batch = TorchBatch.of(logits, y, T.longs(p.offsets, p.offsets.length));
      grad = torch.zeros_like(logits);
      grad2 = torch.zeros_like(logits);
    }
    TorchStats st = TorchLoss.forward(batch, spec);
    TorchResult r = TorchLoss.forwardBackward(batch, p.coefficients, spec, grad);
    TorchLoss.backward(batch, st, p.coefficients, spec, grad2);

    assertArrayEquals(wantCounts, T.toDoubles(st.tokenCount()), "token counts, " + label);
    DIFFS.check("sample loss", label, T.toDoubles(st.loss()), wantLoss, 1.0, FP32);
    DIFFS.check("sample loss (fused)", label, T.toDoubles(r.stats().loss()), wantLoss, 1.0,
        FP32);
    DIFFS.check("sample logProbSum", label, T.toDoubles(st.logProbSum()), wantLogp, 1.0, FP32);
    DIFFS.check("sample meanEntropy", label, T.toDoubles(st.meanEntropy()), wantEntropy, 1.0,
        FP32);
    DIFFS.check("weighted total", label, new double[] {r.total()}, new double[] {refTotal},
        totalScale, FP32);
    double gradBound = bf16 ? BF16_GRAD : FP32;
    DIFFS.check("gradient (fused)" + (bf16 ? " bf16" : ""), label, T.toDoubles(grad), refGrad,
        gradScale, gradBound);
    DIFFS.check("gradient (two-phase)" + (bf16 ? " bf16" : ""), label, T.toDoubles(grad2),
        refGrad, gradScale, gradBound);
    DIFFS.caseDone();
  }

  @AfterAll
  static void report() {
    DIFFS.report();
  }
}
