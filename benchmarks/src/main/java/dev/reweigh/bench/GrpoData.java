package dev.reweigh.bench;

import dev.reweigh.FusedLoss;
import dev.reweigh.LossSpec;
import dev.reweigh.PolicyLoss;
import dev.reweigh.PolicyResult;
import dev.reweigh.PolicySpec;
import dev.reweigh.SampleStats;
import dev.reweigh.TokenLoss;
import dev.reweigh.weighting.PolicyGradient;
import dev.reweigh.weighting.TokenObjective;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * One GRPO step's inputs over a {@link BenchData} batch, shared by {@link GrpoBench}, {@link
 * LibtorchGrpoBench} and {@link GrpoPairedProbe}: the sampling policy's log-probs {@code oldLogp =
 * logp + u}, u uniform in [-0.3, 0.3] (ratios e^-0.3 to e^0.3: tokens clipped on both sides of
 * [0.8, 1.2]), rewards 1, 0, 1, 0, ... in groups of {@link #GROUP} samples (or of every sample
 * when fewer), group-normalised advantages, clip range 0.2, no KL term, the sequence-level
 * normalisation (arXiv:2402.03300 Eq. 3), and an entropy bonus of 0.01 times the mean entropy
 * (beta_r = -0.01 / counted rows).
 *
 * <p>The two-phase step: {@code FusedLoss.forward} for {@code rowLogp}, {@code PolicyGradient.grpo}
 * for the value and the row weights, {@code TokenLoss.backward} for dF/dlogits under {@link
 * TokenLoss#objectiveSpec()} and unit per-sample coefficients. The one-pass step: {@code
 * PolicyLoss.forwardBackward} with the same objective ({@link #POLICY}, advantages per row).
 */
final class GrpoData {
  /** G: sampled answers per prompt. */
  static final int GROUP = 4;
  static final double EPS = 0.2;
  static final double ENTROPY_BONUS = 0.01;
  static final LossSpec SPEC = TokenLoss.objectiveSpec();
  static final PolicySpec POLICY = PolicySpec.grpo(EPS, 0.0, PolicyGradient.Level.SEQUENCE);

  final BenchData data;
  final float[] oldLogp;
  final boolean[] counted;
  final double[] advantages;
  final float[] rowAdvantages;
  final float[] unit;
  final float[] entropyWeights;

  GrpoData(BenchData data) {
    this.data = data;
    int rows = data.shape.rows;
    SampleStats st = FusedLoss.forward(data.batch, SPEC);
    float[] logp = st.rowLogp();
    SplittableRandom rnd = new SplittableRandom(7);
    oldLogp = new float[rows];
    for (int r = 0; r < rows; r++) {
      oldLogp[r] = logp[r] + (float) (0.6 * rnd.nextDouble() - 0.3);
    }
    counted = PolicyGradient.countedRows(data.targetsHeap, SPEC.ignoreIndex());
    double[] rewards = new double[data.samples];
    for (int s = 0; s < rewards.length; s++) {
      rewards[s] = s % 2 == 0 ? 1 : 0;
    }
    int group = data.samples % GROUP == 0 ? GROUP : data.samples;
    advantages = PolicyGradient.groupAdvantages(rewards, group, 1e-4);
    rowAdvantages = PolicyGradient.rowAdvantages(advantages, data.offsetsHeap);
    unit = TokenLoss.unitCoefficients(data.samples);
    int countedRows = 0;
    for (boolean c : counted) {
      countedRows += c ? 1 : 0;
    }
    entropyWeights = new float[rows];
    for (int r = 0; r < rows; r++) {
      entropyWeights[r] = counted[r] ? (float) (-ENTROPY_BONUS / countedRows) : 0f;
    }
  }

  /** The objective of the policy's log-probs {@code st.rowLogp()}. */
  TokenObjective objective(SampleStats st) {
    return PolicyGradient.grpo(st.rowLogp(), oldLogp, null, data.offsetsHeap, counted, advantages,
        EPS, 0.0, PolicyGradient.Level.SEQUENCE);
  }

  /** One whole step into data.gradOut; returns the objective's value. */
  double step(boolean entropy) {
    SampleStats st = FusedLoss.forward(data.batch, SPEC);
    TokenObjective f = objective(st);
    TokenLoss.backward(data.batch, st, unit, f.rowWeights(), entropy ? entropyWeights : null, SPEC,
        data.gradOut);
    return f.value();
  }

  /** One one-pass step into data.gradOut. */
  PolicyResult onePass(boolean entropy) {
    return PolicyLoss.forwardBackward(data.batch, SPEC, POLICY, oldLogp, rowAdvantages, null,
        entropy ? entropyWeights : null, data.gradOut);
  }

  /** Row {@code row} of the logits as doubles (one bulk copy out of native memory). */
  static double[] logitRow(BenchData d, int row) {
    int vocab = d.shape.vocab;
    long at = (long) row * vocab;
    double[] z = new double[vocab];
    if (d.logits instanceof FloatPointer) {
      float[] f = new float[vocab];
      new FloatPointer(d.logits).position(at).get(f);
      Arrays.setAll(z, v -> f[v]);
    } else {
      short[] b = new short[vocab];
      new ShortPointer(d.logits).position(at).get(b);
      Arrays.setAll(z, v -> BenchData.fromBf16(b[v]));
    }
    return z;
  }

  /**
   * One gradient row against float64 from the logits: g_v = w (p_v - [v == y]) - beta p_v (log p_v
   * + H) (docs/design.md §3, SUM / NONE / unit coefficients: k = 1), each element within tol times
   * the magnitudes of its terms (fp32: a few ulp of exp and of the forward's lse and entropy; bf16:
   * the gradient's own rounding, 2^-9).
   */
  static void checkRow(BenchData d, int row, float[] g, float w, float beta) {
    int vocab = d.shape.vocab;
    int y = d.targetsHeap[row];
    double[] z = logitRow(d, row);
    double max = Double.NEGATIVE_INFINITY;
    for (double x : z) {
      max = Math.max(max, x);
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      sum += Math.exp(z[v] - max);
    }
    double lse = max + Math.log(sum);
    double h = 0;
    for (int v = 0; v < vocab; v++) {
      double lp = z[v] - lse;
      h -= Math.exp(lp) * lp;
    }
    double tol = d.elementSize() == 4 ? 1e-4 : 8e-3;
    for (int v = 0; v < vocab; v++) {
      double lp = z[v] - lse;
      double p = Math.exp(lp);
      double t = v == y ? 1 : 0;
      double want = w * (p - t) - beta * p * (lp + h);
      double scale = Math.abs(w) * (p + t) + Math.abs(beta) * p * (Math.abs(lp) + h);
      if (!(Math.abs(g[v] - want) <= tol * scale + 1e-30)) {
        throw new IllegalStateException("GRPO gradient[" + row + ", " + v + "] = " + g[v]
            + ", float64 gives " + want + " (w = " + w + ", beta = " + beta + ")");
      }
    }
  }
}
