package dev.reweigh.reliability;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.reweigh.LossSpec;
import dev.reweigh.PolicyLoss;
import dev.reweigh.PolicyResult;
import dev.reweigh.PolicySpec;
import dev.reweigh.testkit.Bf16;
import dev.reweigh.testkit.RefOptions;
import dev.reweigh.testkit.Reference64;
import dev.reweigh.weighting.PolicyGradient;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzzing the one-pass policy step {@link PolicyLoss#forwardBackward} on the heap API, the {@link
 * TokenLossFuzzTest} way: a {@link FuzzCase} (shapes, logits, targets, offsets, LossSpec options,
 * grad mode: separate, in place, null, wrong length) plus a fuzzed {@link PolicySpec} (CLIPPED /
 * DFT, SEQUENCE / TOKEN, clip ranges, KL coefficient, sometimes out of range) and fuzzed row
 * arrays (oldLogp, advantages, refLogp, entropyWeights: signed values, zeros, NaN, +-inf, a wrong
 * length, null). Invariant: the call either throws IllegalArgumentException naming one of the
 * input's faults with nothing written, or succeeds and matches, link by link:
 *
 * <ol>
 *   <li>rowLogp and rowEntropy: the float64 {@link Reference64} within its row bound;
 *   <li>rowWeights, rowClipped and the objective: the float64 objective of docs/methods.md §8
 *       written here from the reported logp (w_r = -n_r dloss_r/dlogp_r);
 *   <li>the gradient: {@link TokenRef64} with those row weights and the entropy weights
 *       ({@code w_r (-dlogp_r/dz) + beta_r dH_r/dz}, unit coefficients, SUM, D = 1).
 * </ol>
 *
 * The verdict follows PolicyLoss's contract: row arrays have one entry per row (required ones
 * non-null), are finite on counted rows (an ignored row's entry is never read), arrays the
 * objective does not read (oldLogp / advantages under DFT, refLogp without KL) are not checked
 * for finiteness; label smoothing and z-loss must be 0. A row whose float64 coefficient overflows
 * (the k3 estimator e^q at q = refLogp - logp beyond 709) must report a non-finite weight and
 * objective, not a finite number.
 *
 * <p>{@code mvn -B verify} replays the corpus under {@code
 * src/test/resources/dev/reweigh/reliability/PolicyLossFuzzTestInputs/heapApi/}. The campaign:
 * {@code JAZZER_FUZZ=1 mvn -B -o -Dreweigh.cuda=OFF -pl tests/reliability -am verify
 * -Dtest='PolicyLossFuzzTest#heapApi' -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class PolicyLossFuzzTest {
  private static final float SENTINEL = -999f;

  @FuzzTest(maxDuration = "5m")
  void heapApi(FuzzedDataProvider data) {
    FuzzCase c = FuzzCase.decode(data);
    c.op = FuzzCase.Op.FORWARD; // no per-sample coefficients: violations() skips them
    LossSpec spec;
    try {
      spec = c.spec();
    } catch (IllegalArgumentException e) {
      return; // option checks are FusedLossFuzzTest's
    }
    boolean dft = data.consumeInt(0, 4) == 0;
    PolicyGradient.Level level = data.pickValue(PolicyGradient.Level.values());
    double epsLow = eps(data);
    double epsHigh = data.consumeBoolean() ? epsLow : eps(data);
    double kl = data.consumeInt(0, 2) == 0 ? 0 : data.consumeInt(0, 19) == 0
        ? pick(data, -0.1, Double.NaN, Double.POSITIVE_INFINITY) : data.consumeRegularDouble(0, 1);
    PolicySpec policy;
    try {
      policy = new PolicySpec(dft ? PolicySpec.Method.DFT : PolicySpec.Method.CLIPPED, level,
          epsLow, epsHigh, kl);
    } catch (IllegalArgumentException e) {
      String why = policyViolation(dft, epsLow, epsHigh, kl);
      assertNotNull(why, "rejected a valid PolicySpec: " + e.getMessage());
      assertTrue(e.getMessage().contains(why), e.getMessage() + " does not name " + why);
      return;
    }
    assertTrue(policyViolation(dft, epsLow, epsHigh, kl) == null, "accepted " + policy);
    int rows = c.rows;
    float[] oldLogp = rowArray(data, rows, -30f, 0f);
    float[] adv = rowArray(data, rows, -3f, 3f);
    float[] ref = rowArray(data, rows, -30f, 0f);
    float[] beta = data.consumeInt(0, 2) == 0 ? null : rowArray(data, rows, -1f, 1f);

    List<String> bad = c.violations(false);
    if (c.gradMode == FuzzCase.GradMode.NULL || c.gradMode == FuzzCase.GradMode.WRONG_LENGTH) {
      bad.add("grad");
    }
    if (c.eps != 0f) {
      bad.add("labelSmoothing");
    }
    if (c.zLoss != 0f) {
      bad.add("zLoss");
    }
    boolean[] counted = new boolean[rows];
    for (int r = 0; r < rows; r++) {
      counted[r] = r < c.targets.length && c.targets[r] != c.ignoreIndex;
    }
    bad.addAll(rowViolations(oldLogp, counted, "oldLogp", !dft, !dft));
    bad.addAll(rowViolations(adv, counted, "advantages", !dft, !dft));
    bad.addAll(rowViolations(ref, counted, "refLogp", !dft && kl > 0, !dft && kl > 0));
    bad.addAll(rowViolations(beta, counted, "entropyWeights", false, true));

    float[] logits = c.logits.clone();
    short[] logits16 = c.bf16 ? Bf16.bits(logits) : null;
    float[] grad = switch (c.gradMode) {
      case IN_PLACE -> logits;
      case NULL -> null;
      case SEPARATE, WRONG_LENGTH -> {
        float[] g = new float[logits.length + (c.gradMode == FuzzCase.GradMode.SEPARATE ? 0 : 1)];
        Arrays.fill(g, SENTINEL);
        yield g;
      }
    };
    short[] grad16 = grad == logits ? logits16 : grad == null ? null : Bf16.bits(grad);
    float[] g32Before = grad == null ? null : grad.clone();
    short[] g16Before = grad16 == null ? null : grad16.clone();
    String call = describe(c, policy, oldLogp, adv, ref, beta);
    PolicyResult res;
    try {
      res = c.bf16
          ? PolicyLoss.forwardBackward(logits16, c.vocab, c.targets, c.offsets, spec, policy,
              oldLogp, adv, ref, beta, grad16)
          : PolicyLoss.forwardBackward(logits, c.vocab, c.targets, c.offsets, spec, policy,
              oldLogp, adv, ref, beta, grad);
    } catch (IllegalArgumentException e) {
      c.checkRejection(e, bad, call, g32Before, grad, g16Before, grad16);
      return;
    }
    if (!bad.isEmpty()) {
      fail("accepted a call the contract rejects (" + bad + "): " + call);
    }
    check(c, policy, oldLogp, adv, ref, beta, counted, res, c.bf16 ? Bf16.values(grad16) : grad,
        call);
  }

  /** Links 1 to 3 of the class comment for an accepted call. */
  private static void check(FuzzCase c, PolicySpec policy, float[] oldLogp, float[] adv,
      float[] ref, float[] beta, boolean[] counted, PolicyResult res, float[] g, String call) {
    int rows = c.rows;
    int v = c.vocab;
    RefOptions o = new RefOptions(0, 0, c.softcap, c.scale, true, RefOptions.Mode.NONE, 1,
        c.ignoreIndex);
    int samples = c.offsets.length - 1;
    float[] ones = new float[samples];
    Arrays.fill(ones, 1f);
    Reference64 r64 = Reference64.compute(c.logits, v, c.targets, c.offsets, ones, o, false);
    // n_r: SEQUENCE 1 / (count_s * sequences with tokens), TOKEN 1 / tokens.
    int tokens = 0;
    int withTokens = 0;
    for (int n : r64.tokenCount) {
      tokens += n;
      withTokens += n > 0 ? 1 : 0;
    }
    double sum = 0;
    double mag = 0;
    boolean finite = true;
    for (int s = 0; s < samples; s++) {
      for (int r = c.offsets[s]; r < c.offsets[s + 1]; r++) {
        if (!counted[r]) {
          assertTrue(res.rowLogp()[r] == 0 && res.rowWeights()[r] == 0 && res.rowClipped()[r] == 0,
              "ignored row " + r + " has results: " + call);
          continue;
        }
        close("rowLogp[" + r + "]", r64.rowLogp[r], res.rowLogp()[r],
            r64.rowTol[r] + Reference64.U * Math.abs(r64.rowLogp[r]), call);
        close("rowEntropy[" + r + "]", r64.rowEntropy[r], res.rowEntropy()[r],
            r64.rowTol[r] + Reference64.U * Math.abs(r64.rowEntropy[r]), call);
        double n = policy.level() == PolicyGradient.Level.TOKEN ? 1.0 / tokens
            : 1.0 / (r64.tokenCount[s] * (double) withTokens);
        double logp = res.rowLogp()[r];
        double loss;
        double w;
        double wMag;
        int flag = 0;
        boolean tie = false;
        if (policy.method() == PolicySpec.Method.DFT) {
          double p = Math.exp(logp); // sg(p) (-logp): d/dlogp = -p
          loss = n * p * -logp;
          w = n * p;
          wMag = Math.abs(w);
        } else {
          double rho = Math.exp(logp - oldLogp[r]);
          double a = adv[r];
          double unclipped = rho * a;
          double clippedTerm = Math.min(Math.max(rho, 1 - policy.epsLow()), 1 + policy.epsHigh()) * a;
          double term = Math.min(unclipped, clippedTerm);
          double dterm = unclipped <= clippedTerm ? unclipped : 0;
          flag = unclipped <= clippedTerm ? 0 : rho > 1 ? 1 : -1;
          tie = Math.abs(unclipped - clippedTerm) <= 1e-14 * Math.abs(unclipped);
          wMag = Math.abs(unclipped);
          if (policy.klCoefficient() > 0) {
            double q = ref[r] - logp; // k3: e^q - q - 1, d/dlogp = 1 - e^q
            double x = Math.exp(q);
            term -= policy.klCoefficient() * (x - q - 1);
            dterm -= policy.klCoefficient() * (1 - x);
            wMag += policy.klCoefficient() * (1 + x);
          }
          loss = n * -term;
          w = n * dterm;
          wMag *= n;
        }
        float got = res.rowWeights()[r];
        if (!Double.isFinite(w) || !Double.isFinite(loss) || Float.isInfinite((float) w)) {
          // Overflow: reported as such, never as a finite number.
          assertTrue(!Float.isFinite(got) || !Double.isFinite(res.objective()),
              "row " + r + ": float64 coefficient " + w + " (loss " + loss + ") reported as weight "
                  + got + ", objective " + res.objective() + ": " + call);
          finite = false;
          continue;
        }
        close("rowWeights[" + r + "]", w, got, Math.ulp((float) w) + 1e-14 * wMag, call);
        if (res.rowClipped()[r] != flag && !tie) {
          fail("rowClipped[" + r + "] = " + res.rowClipped()[r] + ", want " + flag + ": " + call);
        }
        sum += loss;
        mag += Math.abs(loss);
        if (beta != null) {
          sum += beta[r] * (double) res.rowEntropy()[r];
          mag += Math.abs(beta[r] * (double) res.rowEntropy()[r]);
        }
      }
    }
    if (!finite) {
      return; // the gradient of an overflowed row is not a number to compare
    }
    close("objective", sum, res.objective(), 1e-12 * mag + Double.MIN_VALUE, call);
    TokenRef64 want = TokenRef64.compute(c.logits, v, c.targets, c.offsets, ones,
        res.rowWeights(), beta, o, c.bf16);
    for (int i = 0; i < g.length; i++) {
      if (!(Math.abs(g[i] - want.grad[i]) <= want.gradTol[i])) {
        fail("grad[" + i / v + "," + i % v + "]: got " + g[i] + " want " + want.grad[i] + " (tol "
            + want.gradTol[i] + ")\n" + call);
      }
    }
    assertTrue(g.length == (long) rows * v);
  }

  private static void close(String what, double want, double got, double tol, String call) {
    if (!(Math.abs(got - want) <= tol)) {
      fail(what + ": got " + got + " want " + want + " (tol " + tol + ")\n" + call);
    }
  }

  private static double eps(FuzzedDataProvider d) {
    int k = d.consumeInt(0, 19);
    return k == 0 ? pick(d, -0.01, Double.NaN, Double.POSITIVE_INFINITY)
        : k < 10 ? pick(d, 0.0, 0.1, 0.2, 0.28) : d.consumeRegularDouble(0, 2);
  }

  private static double pick(FuzzedDataProvider d, double... values) {
    return values[d.consumeInt(0, values.length - 1)];
  }

  /** Null when PolicySpec must accept the values, else the name its message must contain. */
  private static String policyViolation(boolean dft, double epsLow, double epsHigh, double kl) {
    if (!(Double.isFinite(epsLow) && epsLow >= 0)) {
      return "epsLow";
    }
    if (!(Double.isFinite(epsHigh) && epsHigh >= 0)) {
      return "epsHigh";
    }
    if (!(Double.isFinite(kl) && kl >= 0) || dft && kl != 0) {
      return "klCoefficient";
    }
    return null;
  }

  /** Mostly finite values in [lo, hi] (zeros included); sometimes a non-finite entry, a wrong length or null. */
  private static float[] rowArray(FuzzedDataProvider d, int rows, float lo, float hi) {
    int kind = d.consumeInt(0, 19);
    if (kind == 0) {
      return null;
    }
    int length = kind == 1 ? Math.max(0, rows + d.pickValue(new int[] {-1, 1})) : rows;
    float[] a = new float[length];
    for (int r = 0; r < length; r++) {
      int k = d.consumeInt(0, 49);
      a[r] = k < 40 ? d.consumeRegularFloat(lo, hi) : k < 46 ? 0f
          : d.pickValue(new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
              -1e-30f});
    }
    return a;
  }

  /**
   * The contract's verdict on one row array: present when required (rows > 0), one entry per row
   * when present, finite on counted rows when the objective reads it.
   */
  private static List<String> rowViolations(float[] a, boolean[] counted, String name,
      boolean required, boolean read) {
    List<String> out = new ArrayList<>();
    int rows = counted.length;
    if (a == null) {
      if (required && rows > 0) {
        out.add(name + " is null");
      }
      return out;
    }
    if (a.length != rows) {
      out.add(name + ".length");
      return out;
    }
    for (int r = 0; r < rows && read; r++) {
      if (counted[r] && !Float.isFinite(a[r])) {
        out.add(name + "[" + r + "]");
      }
    }
    return out;
  }

  private static String describe(FuzzCase c, PolicySpec p, float[] oldLogp, float[] adv,
      float[] ref, float[] beta) {
    return c + " " + p + " oldLogp=" + Arrays.toString(oldLogp) + " advantages="
        + Arrays.toString(adv) + " refLogp=" + Arrays.toString(ref) + " entropyWeights="
        + Arrays.toString(beta);
  }
}
