package dev.reweigh.crosscheck;

import static dev.reweigh.testkit.Reference64.toFloats;

import dev.reweigh.FusedLoss;
import dev.reweigh.PolicyResult;
import dev.reweigh.PolicySpec;
import dev.reweigh.SampleStats;
import dev.reweigh.TokenLoss;
import dev.reweigh.pytorch.TorchBatch;
import dev.reweigh.pytorch.TorchLoss;
import dev.reweigh.pytorch.TorchStats;
import dev.reweigh.pytorch.TorchTokenLoss;
import dev.reweigh.weighting.PolicyGradient;
import dev.reweigh.weighting.TokenObjective;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One GRPO step end to end, fp32 and bf16: a small libtorch LM (Embedding -> Linear -> tanh ->
 * Linear) takes the step twice from the same weights; in the bf16 cases its logits are cast to
 * bf16 (a bf16 LM head's output) on both sides, and autograd carries the bf16 logits gradient
 * back through the cast.
 *
 * <ol>
 *   <li>Two-phase through Reweigh: {@link FusedLoss#forward} gives rowLogp and rowEntropy, {@link
 *       PolicyGradient#grpo} the objective and row weights, {@link TokenLoss#backward} the logits
 *       gradient (with an entropy bonus through the per-row entropy weights), injected with {@code
 *       logits.backward(grad)}; or the same through {@link TorchLoss#forward} and {@link
 *       TorchTokenLoss#step} on the model's logits tensor (in place); or the one-pass {@link
 *       TorchTokenLoss#policyStep} (in place), whose objective value is its own.
 *   <li>The same objective written with libtorch ops (log_softmax, gather, exp, clamp, minimum, the
 *       k3 KL, the entropy) and autograd.
 * </ol>
 *
 * The batch has masked prompt rows, both signs of group-normalised advantages, and ratios
 * e^{+-0.4} (outside the clip range [0.8, 1.2] on both sides) and e^{+-0.1} (inside). Parameter
 * gradients must agree to 1e-5 of each parameter's largest gradient entry (as in {@link
 * EndToEndGradientEquivalenceTest}), and the objective values to 1e-5.
 *
 * <p>bf16: both sides read the same bf16 logits and compute in fp32, so the objective keeps the
 * fp32 bound. The logits gradient is bf16 on both sides (Reweigh writes it rounded to nearest;
 * libtorch's autograd rounds its fp32 gradient to nearest where it crosses the cast), from fp32
 * values that agree to the fp32 bound, so an element differs by at most one bf16 ulp (2^-8
 * relative) where the two fp32 values straddle a rounding boundary. The parameter gradients are
 * the same fp32 computation from those elements on both sides, so their bound is 2^-8 of the
 * largest entry plus the fp32 bound, as for the logits gradient in {@link
 * LibtorchCrossEntropyCrossCheckTest}.
 */
class GrpoEndToEndTest {
  private static final Diffs DIFFS = new Diffs("libtorch autograd GRPO");
  private static final double FP32 = 1e-5;
  private static final double BF16_GRAD = Math.scalb(1.0, -8) + FP32;
  private static final int B = 4;
  private static final int LEN = 9;
  private static final int V = 97;
  private static final int D = 16;
  private static final int PROMPT = 3;
  private static final double EPS = 0.2;
  private static final double KL_BETA = 0.05;
  private static final double ENTROPY_BONUS = 0.01;

  @ParameterizedTest(name = "path = {0}, {1}")
  @CsvSource({"heap, fp32", "torch, fp32", "onePass, fp32", "heap, bf16", "torch, bf16",
      "onePass, bf16"})
  void grpoStepMatchesLibtorchAutograd(String path, String dtype) {
    boolean viaTorch = !path.equals("heap");
    boolean bf16 = dtype.equals("bf16");
    String label = switch (path) {
      case "heap" -> "GRPO heap TokenLoss";
      case "torch" -> "GRPO TorchTokenLoss.step in place";
      default -> "GRPO TorchTokenLoss.policyStep in place";
    } + " " + dtype;
    SplittableRandom rnd = new SplittableRandom(7);
    int rows = B * LEN;
    long[] tokens = new long[rows];
    for (int i = 0; i < rows; i++) {
      tokens[i] = rnd.nextInt(V);
    }
    int[] targets = new int[rows];
    long[] gatherIndex = new long[rows];
    for (int s = 0; s < B; s++) {
      for (int j = 0; j < LEN; j++) {
        boolean scored = j + 1 < LEN && j + 1 >= PROMPT;
        int r = s * LEN + j;
        targets[r] = scored ? (int) tokens[r + 1] : -100;
        gatherIndex[r] = scored ? tokens[r + 1] : 0;
      }
    }
    int[] offsets = new int[B + 1];
    for (int s = 0; s <= B; s++) {
      offsets[s] = s * LEN;
    }
    boolean[] counted = PolicyGradient.countedRows(targets, -100);
    // Two groups of G = 2: advantages +-1 in each (negative advantages on half the samples).
    double[] advantages = PolicyGradient.groupAdvantages(new double[] {1, 0, 0, 1}, 2, 0);
    Tensor tokensT = T.longs(tokens, B, LEN);
    TinyLm model = new TinyLm(V, D, 42);

    // ---- 1. two-phase through Reweigh ----
    Tensor logits = model.logits(tokensT);
    if (bf16) {
      logits = logits.to(T.CPU, ScalarType.BFloat16);
    }
    float[] logp;
    float[] entropy;
    float[] z = null;
    SampleStats st = null;
    TorchBatch batch = null;
    TorchStats tst = null;
    if (viaTorch) {
      long[] labels = new long[rows];
      for (int r = 0; r < rows; r++) {
        labels[r] = targets[r];
      }
      batch = TorchBatch.padded(logits, T.longs(labels, B, LEN));
      tst = TorchLoss.forward(batch, TokenLoss.objectiveSpec());
      logp = toFloats(T.toDoubles(tst.rowLogp()));
      entropy = toFloats(T.toDoubles(tst.rowEntropy()));
    } else {
      z = toFloats(T.toDoubles(logits));
      st = bf16 ? FusedLoss.forward(bf16Bits(z), V, targets, offsets, TokenLoss.objectiveSpec())
          : FusedLoss.forward(z, V, targets, offsets, TokenLoss.objectiveSpec());
      logp = st.rowLogp();
      entropy = st.rowEntropy();
    }
    float[] oldLogp = new float[rows];
    float[] refLogp = new float[rows];
    double[] deltas = {0.4, -0.4, 0.1, -0.1};
    int n = 0;
    for (int r = 0; r < rows; r++) {
      if (counted[r]) {
        oldLogp[r] = (float) (logp[r] - deltas[n % 4]); // rho = e^delta
        refLogp[r] = (float) (logp[r] + 0.3 * rnd.nextDouble() - 0.15);
        n++;
      }
    }
    TokenObjective objective = PolicyGradient.grpo(logp, oldLogp, refLogp, offsets, counted,
        advantages, EPS, KL_BETA, PolicyGradient.Level.SEQUENCE);
    // Entropy bonus -ENTROPY_BONUS * mean_t H_t: beta_r = -ENTROPY_BONUS / n on counted rows.
    float[] entropyWeights = new float[rows];
    double meanEntropy = 0;
    for (int r = 0; r < rows; r++) {
      if (counted[r]) {
        entropyWeights[r] = (float) (-ENTROPY_BONUS / n);
        meanEntropy += entropy[r] / (double) n;
      }
    }
    double reweighValue = objective.value() - ENTROPY_BONUS * meanEntropy;
    if (path.equals("onePass")) {
      PolicyResult res = TorchTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(),
          PolicySpec.grpo(EPS, KL_BETA, PolicyGradient.Level.SEQUENCE), oldLogp,
          PolicyGradient.rowAdvantages(advantages, offsets), refLogp, entropyWeights, true);
      reweighValue = res.objective();
    } else if (viaTorch) {
      TorchTokenLoss.step(batch, tst, objective.rowWeights(), entropyWeights, true);
    } else {
      float[] grad = new float[z.length];
      if (bf16) {
        short[] gradBits = new short[z.length];
        TokenLoss.backward(bf16Bits(z), V, targets, offsets, st, TokenLoss.unitCoefficients(B),
            objective.rowWeights(), entropyWeights, TokenLoss.objectiveSpec(), gradBits);
        for (int i = 0; i < grad.length; i++) {
          grad[i] = Float.intBitsToFloat((gradBits[i] & 0xffff) << 16);
        }
      } else {
        TokenLoss.backward(z, V, targets, offsets, st, TokenLoss.unitCoefficients(B),
            objective.rowWeights(), entropyWeights, TokenLoss.objectiveSpec(), grad);
      }
      // The bf16 values are exact in fp32, so the cast back to bf16 is exact.
      Tensor g = T.floats(grad, B, LEN, V);
      logits.backward(bf16 ? g.to(T.CPU, ScalarType.BFloat16) : g, new BoolOptional(), false,
          new TensorArrayRefOptional());
    }
    List<double[]> reweighGrads = model.gradsAndZero();

    // ---- 2. the same objective with libtorch ops and autograd ----
    double[] seqScale = new double[rows]; // 1 / (n_i * samples with tokens) on counted rows
    double[] tokScale = new double[rows];
    double[] advRow = new double[rows];
    for (int s = 0; s < B; s++) {
      int ni = 0;
      for (int r = offsets[s]; r < offsets[s + 1]; r++) {
        ni += counted[r] ? 1 : 0;
      }
      for (int r = offsets[s]; r < offsets[s + 1]; r++) {
        seqScale[r] = counted[r] ? 1.0 / (ni * (double) B) : 0;
        tokScale[r] = counted[r] ? 1.0 / n : 0;
        advRow[r] = advantages[s];
      }
    }
    Tensor logits2 = model.logits(tokensT);
    if (bf16) {
      logits2 = logits2.to(T.CPU, ScalarType.BFloat16).to(T.CPU, ScalarType.Float);
    }
    logits2 = logits2.reshape(rows, V);
    Tensor logSoftmax = torch.log_softmax(logits2, 1);
    Tensor lp = torch.gather(logSoftmax, 1, T.longs(gatherIndex, rows, 1)).reshape(rows);
    Tensor old = T.floats(oldLogp, rows);
    Tensor ref = T.floats(refLogp, rows);
    Tensor adv = T.floats(toFloats(advRow), rows);
    Tensor rho = torch.exp(torch.sub(lp, old));
    Tensor clipped = torch.clamp(rho, new ScalarOptional(new Scalar(1 - EPS)),
        new ScalarOptional(new Scalar(1 + EPS)));
    Tensor surrogate = torch.minimum(torch.mul(rho, adv), torch.mul(clipped, adv));
    Tensor diff = torch.sub(ref, lp);
    Tensor kl = torch.sub(torch.sub(torch.exp(diff), diff), new Scalar(1.0));
    Tensor perToken = torch.sub(surrogate, torch.mul(kl, new Scalar(KL_BETA)));
    Tensor h = torch.mul(torch.exp(logSoftmax), logSoftmax).sum(1).neg();
    Tensor j = torch.mul(perToken, T.floats(toFloats(seqScale), rows)).sum();
    Tensor meanH = torch.mul(h, T.floats(toFloats(tokScale), rows)).sum();
    Tensor f = torch.sub(j.neg(), torch.mul(meanH, new Scalar(ENTROPY_BONUS)));
    f.backward();
    List<double[]> torchGrads = model.gradsAndZero();

    String[] names = {"embedding.weight", "hidden.weight", "hidden.bias", "head.weight",
        "head.bias"};
    for (int i = 0; i < names.length; i++) {
      double scale = Math.max(T.maxAbs(torchGrads.get(i)), 1e-30);
      DIFFS.check("grad " + names[i], label, reweighGrads.get(i),
          torchGrads.get(i), scale, bf16 ? BF16_GRAD : FP32);
    }
    DIFFS.check("objective", label, new double[] {reweighValue},
        new double[] {f.item_double()}, 1.0, FP32);
    DIFFS.caseDone();
  }

  /** The bit patterns of bf16-representable floats (the low 16 bits are zero). */
  private static short[] bf16Bits(float[] f) {
    short[] out = new short[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = (short) (Float.floatToRawIntBits(f[i]) >>> 16);
    }
    return out;
  }

  @AfterAll
  static void report() {
    DIFFS.report();
  }
}
