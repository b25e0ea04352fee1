package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.weighting.PolicyGradient;
import dev.reweigh.weighting.TokenObjective;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link PolicyLoss} (the one-pass policy step) against the two-phase step it replaces: {@link
 * FusedLoss#forward} -> {@link PolicyGradient} (the Java reference, next to the papers' equations)
 * -> {@link TokenLoss#backward}; then against central finite differences of the objective written
 * here in float64, and its argument checks.
 */
class PolicyLossTest {

  /** Two groups of G = 3 answers, 2 prompt rows (ignored) and 4-9 answer rows each. */
  static final class Batch {
    final int vocab;
    final float[] logits;
    final int[] targets;
    final int[] offsets;
    final boolean[] counted;
    final double[] sampleAdv;
    final float[] rowAdv;
    float[] oldLogp;
    final float[] refLogp;
    final float[] entropyWeights;

    Batch(int vocab, long seed) {
      Random rnd = new Random(seed);
      this.vocab = vocab;
      int samples = 6;
      offsets = new int[samples + 1];
      for (int s = 0; s < samples; s++) {
        offsets[s + 1] = offsets[s] + 6 + rnd.nextInt(6);
      }
      int rows = offsets[samples];
      targets = new int[rows];
      logits = new float[rows * vocab];
      for (int i = 0; i < logits.length; i++) {
        logits[i] = (float) (2.5 * rnd.nextGaussian());
      }
      for (int s = 0; s < samples; s++) {
        for (int r = offsets[s]; r < offsets[s + 1]; r++) {
          targets[r] = r - offsets[s] < 2 ? -100 : rnd.nextInt(vocab);
        }
      }
      counted = PolicyGradient.countedRows(targets, -100);
      double[] rewards = {1, 0, 0.5, 0, 1, 1};
      double[] a = PolicyGradient.groupAdvantages(rewards, 3, 1e-4);
      sampleAdv = new double[samples];
      for (int s = 0; s < samples; s++) {
        sampleAdv[s] = (float) a[s]; // float-representable, so both paths see the same A
      }
      rowAdv = PolicyGradient.rowAdvantages(sampleAdv, offsets);
      refLogp = new float[rows];
      for (int r = 0; r < rows; r++) {
        refLogp[r] = (float) (0.5 * rnd.nextGaussian()); // shifted by logp in setRatios
      }
      entropyWeights = new float[rows];
      for (int r = 0; r < rows; r++) {
        entropyWeights[r] = counted[r] ? (float) (0.02 * rnd.nextGaussian()) : 0f;
      }
    }

    /**
     * oldLogp = logp - ln(rho) with rho on both sides of the clip range and inside it; refLogp =
     * logp plus its offset (a reference policy near the current one).
     */
    void setRatios(float[] logp, long seed) {
      double[] ratios = {0.5, 0.7, 0.95, 1.0, 1.08, 1.5, 2.5};
      Random rnd = new Random(seed);
      oldLogp = new float[logp.length];
      for (int r = 0; r < logp.length; r++) {
        oldLogp[r] = counted[r] ? (float) (logp[r] - Math.log(ratios[rnd.nextInt(7)])) : Float.NaN;
        refLogp[r] += logp[r];
      }
    }

    /** FusedLoss.forward on this batch under spec, then setRatios from its rowLogp. */
    SampleStats forwardWithRatios(LossSpec spec, long seed) {
      SampleStats st = FusedLoss.forward(logits, vocab, targets, offsets, spec);
      setRatios(st.rowLogp(), seed);
      return st;
    }
  }

  static TokenObjective reference(Batch b, float[] logp, String method) {
    return switch (method) {
      case "grpo" -> PolicyGradient.grpo(logp, b.oldLogp, b.refLogp, b.offsets, b.counted,
          b.sampleAdv, 0.2, 0.04, PolicyGradient.Level.SEQUENCE);
      case "grpoToken" -> PolicyGradient.grpo(logp, b.oldLogp, null, b.offsets, b.counted,
          b.sampleAdv, 0.2, 0, PolicyGradient.Level.TOKEN);
      case "dapo" -> PolicyGradient.dapo(logp, b.oldLogp, b.offsets, b.counted, b.sampleAdv, 0.2,
          0.28);
      case "ppo" -> PolicyGradient.ppoClip(logp, b.oldLogp, b.offsets, b.counted,
          toDouble(b.rowAdv), 0.2);
      default -> PolicyGradient.dft(logp, b.offsets, b.counted);
    };
  }

  static PolicySpec spec(String method) {
    return switch (method) {
      case "grpo" -> PolicySpec.grpo(0.2, 0.04, PolicyGradient.Level.SEQUENCE);
      case "grpoToken" -> PolicySpec.grpo(0.2, 0, PolicyGradient.Level.TOKEN);
      case "dapo" -> PolicySpec.dapo(0.2, 0.28);
      case "ppo" -> PolicySpec.ppoClip(0.2);
      default -> PolicySpec.dft();
    };
  }

  static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  @ParameterizedTest(name = "{0} entropy={1} bf16={2}")
  @CsvSource({"grpo,false,false", "grpo,true,false", "grpo,true,true", "grpoToken,false,true",
      "dapo,false,false", "dapo,true,true", "ppo,false,false", "dft,false,false", "dft,true,true"})
  void onePassEqualsTwoPhase(String method, boolean entropy, boolean bf16) {
    Batch b = new Batch(1000, 11);
    LossSpec spec = TokenLoss.objectiveSpec();
    int rows = b.targets.length;
    short[] logitsBf16 = new short[b.logits.length];
    if (bf16) {
      for (int i = 0; i < b.logits.length; i++) {
        logitsBf16[i] = Bf16Test.toBf16(b.logits[i]);
        b.logits[i] = Bf16Test.fromBf16(logitsBf16[i]);
      }
    }
    SampleStats st = b.forwardWithRatios(spec, 5);
    TokenObjective ref = reference(b, st.rowLogp(), method);
    float[] beta = entropy ? b.entropyWeights : null;
    PolicySpec policy = spec(method);
    float[] two = new float[b.logits.length];
    float[] one = new float[b.logits.length];
    PolicyResult res;
    if (bf16) {
      short[] twoBf16 = new short[b.logits.length];
      short[] oneBf16 = new short[b.logits.length];
      TokenLoss.backward(logitsBf16, b.vocab, b.targets, b.offsets, st,
          TokenLoss.unitCoefficients(6), ref.rowWeights(), beta, spec, twoBf16);
      res = PolicyLoss.forwardBackward(logitsBf16, b.vocab, b.targets, b.offsets, spec, policy,
          b.oldLogp, b.rowAdv, b.refLogp, beta, oneBf16);
      for (int i = 0; i < one.length; i++) {
        two[i] = Bf16Test.fromBf16(twoBf16[i]);
        one[i] = Bf16Test.fromBf16(oneBf16[i]);
      }
    } else {
      TokenLoss.backward(b.logits, b.vocab, b.targets, b.offsets, st,
          TokenLoss.unitCoefficients(6), ref.rowWeights(), beta, spec, two);
      res = PolicyLoss.forwardBackward(b.logits, b.vocab, b.targets, b.offsets, spec, policy,
          b.oldLogp, b.rowAdv, b.refLogp, beta, one);
    }
    // The same row statistics, so the same coefficients (float64 in both, one exp apart).
    assertArrayEquals(st.rowLogp(), res.rowLogp(), "rowLogp");
    assertArrayEquals(st.rowEntropy(), res.rowEntropy(), "rowEntropy");
    float[] w = ref.rowWeights();
    for (int r = 0; r < rows; r++) {
      assertEquals(w[r], res.rowWeights()[r], Math.ulp(w[r]), "rowWeights[" + r + "]");
    }
    double entropyTerm = 0;
    for (int r = 0; r < rows; r++) {
      if (entropy && b.counted[r]) {
        entropyTerm += (double) beta[r] * st.rowEntropy()[r];
      }
    }
    double want = ref.value() + entropyTerm;
    assertEquals(want, res.objective(), 1e-13 * Math.max(1, Math.abs(want)), "objective");
    if (!method.equals("dft")) {
      assertTrue(res.clippedBelow() > 0 && res.clippedAbove() > 0,
          "clipped below " + res.clippedBelow() + ", above " + res.clippedAbove()
              + ": the case must clip on both sides");
    }
    // The gradients: the fused path takes p from its cached exponentials, the two-phase path
    // from exp(z - lse); both are fp32 to a few ulps of p times |w|, |beta|.
    for (int r = 0; r < rows; r++) {
      double k = Math.abs(w[r]) + (beta == null ? 0 : Math.abs(beta[r]) * 20);
      for (int v = 0; v < b.vocab; v++) {
        int i = r * b.vocab + v;
        double tol = 8 * 0x1p-24 * (k + Math.abs(two[i])) + (bf16 ? Math.abs(two[i]) * 0x1p-7 : 0);
        assertEquals(two[i], one[i], tol, "grad[" + r + ", " + v + "]");
      }
    }
  }

  /** The CLIPPED + KL + entropy objective in float64 from the logits (the header's formula). */
  static double objective64(double[] z, Batch b, float[] beta) {
    int rows = b.targets.length;
    int seqs = 0;
    int[] count = new int[b.offsets.length - 1];
    for (int s = 0; s < count.length; s++) {
      for (int r = b.offsets[s]; r < b.offsets[s + 1]; r++) {
        count[s] += b.counted[r] ? 1 : 0;
      }
      seqs += count[s] > 0 ? 1 : 0;
    }
    double f = 0;
    for (int s = 0; s < count.length; s++) {
      for (int r = b.offsets[s]; r < b.offsets[s + 1]; r++) {
        if (!b.counted[r]) {
          continue;
        }
        double m = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < b.vocab; v++) {
          m = Math.max(m, z[r * b.vocab + v]);
        }
        double d = 0;
        for (int v = 0; v < b.vocab; v++) {
          d += Math.exp(z[r * b.vocab + v] - m);
        }
        double lse = m + Math.log(d);
        double h = lse;
        for (int v = 0; v < b.vocab; v++) {
          h -= Math.exp(z[r * b.vocab + v] - lse) * z[r * b.vocab + v];
        }
        double lp = z[r * b.vocab + b.targets[r]] - lse;
        double rho = Math.exp(lp - b.oldLogp[r]);
        double a = b.rowAdv[r];
        double term = Math.min(rho * a, Math.min(Math.max(rho, 0.8), 1.2) * a);
        double q = b.refLogp[r] - lp;
        term -= 0.04 * (Math.exp(q) - q - 1);
        f -= term / ((double) count[s] * seqs);
        f += beta[r] * h;
      }
    }
    return f;
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    Batch b = new Batch(13, 3);
    LossSpec spec = TokenLoss.objectiveSpec();
    SampleStats st = b.forwardWithRatios(spec, 9);
    float[] grad = new float[b.logits.length];
    PolicyResult res = PolicyLoss.forwardBackward(b.logits, b.vocab, b.targets, b.offsets, spec,
        PolicySpec.grpo(0.2, 0.04, PolicyGradient.Level.SEQUENCE), b.oldLogp, b.rowAdv, b.refLogp,
        b.entropyWeights, grad);
    double[] z = toDouble(b.logits);
    assertEquals(objective64(z, b, b.entropyWeights), res.objective(), 1e-5, "objective");
    double h = 1e-5;
    for (int i = 0; i < z.length; i++) {
      double keep = z[i];
      z[i] = keep + h;
      double up = objective64(z, b, b.entropyWeights);
      z[i] = keep - h;
      double down = objective64(z, b, b.entropyWeights);
      z[i] = keep;
      double fd = (up - down) / (2 * h);
      assertEquals(fd, grad[i], 2e-6 + 1e-4 * Math.abs(fd), "grad[" + i + "]");
    }
  }

  /** docs/methods.md §8's worked example: logp = [-1, -2], oldLogp = [-1.5, -2], A = 1. */
  @Test
  void handWorkedExample() {
    // Row logits [0, ln(e^k - 1)] with target 0 give logp = -ln(e^k) = -k.
    float[] logits = {0f, (float) Math.log(Math.E - 1), 0f, (float) Math.log(Math.E * Math.E - 1)};
    int[] targets = {0, 0};
    int[] offsets = {0, 2};
    float[] grad = new float[4];
    PolicyResult res = PolicyLoss.forwardBackward(logits, 2, targets, offsets,
        TokenLoss.objectiveSpec(), PolicySpec.grpo(0.2, 0, PolicyGradient.Level.SEQUENCE),
        new float[] {-1.5f, -2f}, new float[] {1f, 1f}, null, null, grad);
    assertEquals(-1, res.rowLogp()[0], 1e-6);
    assertEquals(-2, res.rowLogp()[1], 1e-6);
    assertEquals(0f, res.rowWeights()[0], "row 0 is clipped above: no surrogate gradient");
    assertEquals(0.5, res.rowWeights()[1], 1e-6);
    assertArrayEquals(new byte[] {1, 0}, res.rowClipped());
    assertEquals(0, res.clippedBelow());
    assertEquals(1, res.clippedAbove());
    assertEquals(-1.1, res.objective(), 1e-6);
    // Row 1's gradient: w (p - onehot(0)) with p = [e^-2, 1 - e^-2].
    double p0 = Math.exp(-2);
    assertEquals(0.5 * (p0 - 1), grad[2], 1e-6);
    assertEquals(0.5 * (1 - p0), grad[3], 1e-6);
    assertEquals(0f, grad[0]);
    assertEquals(0f, grad[1]);
  }

  @Test
  void badInputsNameTheArrayAndIndex() {
    Batch b = new Batch(7, 1);
    LossSpec spec = TokenLoss.objectiveSpec();
    SampleStats st = b.forwardWithRatios(spec, 2);
    PolicySpec grpo = PolicySpec.grpo(0.2, 0.04, PolicyGradient.Level.SEQUENCE);
    float[] grad = new float[b.logits.length];
    // Ignored rows carry NaN oldLogp (setRatios): never read, so this call succeeds.
    PolicyLoss.forwardBackward(b.logits, b.vocab, b.targets, b.offsets, spec, grpo, b.oldLogp,
        b.rowAdv, b.refLogp, null, grad);
    b.rowAdv[3] = Float.NaN;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PolicyLoss.forwardBackward(b.logits, b.vocab, b.targets, b.offsets, spec, grpo,
            b.oldLogp, b.rowAdv, b.refLogp, null, grad));
    assertTrue(e.getMessage().contains("advantages[3] = nan is not finite"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> PolicyLoss.forwardBackward(b.logits, b.vocab, b.targets, b.offsets, spec, grpo,
            b.oldLogp, new float[2], b.refLogp, null, grad));
    assertTrue(e.getMessage().contains("advantages.length = 2"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> PolicyLoss.forwardBackward(b.logits, b.vocab, b.targets, b.offsets, spec, grpo,
            b.oldLogp, b.rowAdv, null, null, grad));
    assertTrue(e.getMessage().contains("refLogp is null"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> PolicyLoss.forwardBackward(b.logits, b.vocab, b.targets, b.offsets,
            LossSpec.builder().labelSmoothing(0.1f).build(), grpo, b.oldLogp, b.rowAdv,
            b.refLogp, null, grad));
    assertTrue(e.getMessage().contains("labelSmoothing = 0.1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new PolicySpec(PolicySpec.Method.DFT, PolicyGradient.Level.TOKEN, 0, 0, 0.1));
    assertTrue(e.getMessage().contains("klCoefficient = 0.1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> PolicySpec.dapo(-0.2, 0.28));
    assertTrue(e.getMessage().contains("epsLow = -0.2"), e.getMessage());
  }
}
