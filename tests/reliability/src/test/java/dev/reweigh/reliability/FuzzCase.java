package dev.reweigh.reliability;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import dev.reweigh.LossSpec;
import dev.reweigh.NonFiniteInputException;
import dev.reweigh.Normalization;
import dev.reweigh.TokenReduction;
import dev.reweigh.testkit.Bf16;
import dev.reweigh.testkit.RefOptions;
import dev.reweigh.testkit.Reference64;
import java.util.List;
import org.junit.jupiter.api.Assertions;

/**
 * One fuzzed call: shapes, values, options, coefficients and aliasing decoded from the fuzzer's
 * bytes, valid or not, plus the contract's verdict on it ({@link #violations}): the reasons the
 * call must be rejected with an IllegalArgumentException, or none when it must succeed and match
 * {@link Reference64}. The verdict is computed from docs/design.md §3/§4 independently of the
 * library's own checks, so a check the library forgets (or adds) is a finding.
 */
final class FuzzCase {
  enum Op { FORWARD, FORWARD_BACKWARD, BACKWARD }

  enum GradMode { SEPARATE, IN_PLACE, WRONG_LENGTH, NULL }

  Op op;
  boolean bf16;
  GradMode gradMode;
  int vocab;
  int rows;
  float[] logits;     // rows * vocab values (bf16-representable when bf16), or a wrong length
  int[] targets;
  int[] offsets;
  float[] coefficients;
  boolean checkFinite;
  // raw option values, possibly invalid; spec() builds them
  long ignoreIndex;
  float eps;
  float zLoss;
  float softcap;
  float scale;
  TokenReduction reduction;
  Normalization normalization;
  double normalizer;

  /** Set by {@link #violation()}: the only violation is a non-finite logit on a counted row. */
  boolean nonFiniteOnly;

  static FuzzCase decode(FuzzedDataProvider d) {
    FuzzCase c = new FuzzCase();
    c.op = d.pickValue(Op.values());
    c.bf16 = d.consumeBoolean();
    c.gradMode = d.consumeInt(0, 9) < 8 ? (d.consumeBoolean() ? GradMode.SEPARATE : GradMode.IN_PLACE)
        : d.pickValue(GradMode.values());
    // Options: mostly valid, sometimes out of range (LossSpec must reject those).
    c.ignoreIndex = d.consumeInt(0, 7) == 0 ? d.consumeInt(-3, 40) : -100;
    c.eps = d.consumeInt(0, 3) == 0 ? pick(d, 0f, 1f, -0.01f, 1.5f, Float.NaN) : 0f;
    if (c.eps > 0 && c.eps <= 1 && d.consumeBoolean()) {
      c.eps = d.consumeRegularFloat(0f, 1f);
    }
    c.zLoss = d.consumeInt(0, 3) == 0 ? pick(d, 1e-4f, 1e-2f, 0f, -1f, Float.POSITIVE_INFINITY) : 0f;
    c.softcap = d.consumeInt(0, 3) == 0
        ? pick(d, 0f, 1f, 30f, d.consumeRegularFloat(0.5f, 50f), -2f, Float.NaN) : 0f;
    c.scale = d.consumeInt(0, 3) == 0
        ? pick(d, 1f, 0.5f, 2f, d.consumeRegularFloat(0.05f, 4f), 0f, -1f, Float.POSITIVE_INFINITY)
        : 1f;
    c.reduction = d.pickValue(TokenReduction.values());
    c.normalization = d.pickValue(Normalization.values());
    c.normalizer = c.normalization == Normalization.EXPLICIT
        ? (d.consumeInt(0, 5) == 0 ? pick(d, 0.0, Double.NaN) : d.consumeRegularDouble(-8, 8)) : 1.0;
    c.checkFinite = d.consumeBoolean();

    c.vocab = d.consumeInt(0, 15) == 0 ? d.consumeInt(-2, 0) : d.consumeInt(1, 40);
    c.rows = d.consumeInt(0, 9);
    int v = Math.max(c.vocab, 1);
    // Targets: valid classes, the ignore index, or (rarely) out of range.
    c.targets = new int[c.rows];
    for (int r = 0; r < c.rows; r++) {
      int kind = d.consumeInt(0, 19);
      c.targets[r] = kind < 15 ? d.consumeInt(0, v - 1)
          : kind < 19 ? (int) c.ignoreIndex : pick(d, -1, v, -100, Integer.MIN_VALUE, v + 7);
    }
    // Logits: ordinary, masked (-inf), huge, subnormal; NaN / +inf on ignored rows, or anywhere
    // when checkFinite is on (then the call must report them).
    int length = c.rows * v;
    if (d.consumeInt(0, 19) == 0) {
      length = Math.max(0, length + d.consumeInt(-2, 2));
    }
    c.logits = new float[length];
    for (int i = 0; i < length; i++) {
      int r = i / v;
      boolean ignoredRow = r < c.rows && c.targets[r] == c.ignoreIndex;
      int kind = d.consumeInt(0, 99);
      float z;
      if (kind < 80) {
        z = d.consumeRegularFloat(-20f, 20f);
      } else if (kind < 88) {
        z = c.eps == 0f ? Float.NEGATIVE_INFINITY : 3f; // masked vocabularies need eps = 0
      } else if (kind < 94) {
        z = d.consumeRegularFloat(-1e4f, 1e4f);
      } else if (kind < 97) {
        z = d.consumeRegularFloat(-1e-38f, 1e-38f);
      } else {
        z = (ignoredRow || c.checkFinite) ? (d.consumeBoolean() ? Float.NaN : Float.POSITIVE_INFINITY)
            : 1f;
      }
      if (c.bf16) {
        z = Bf16.round(z);
      }
      c.logits[i] = z;
    }
    // A counted row's target logit stays finite-or-NaN: a masked target makes logp = -inf.
    for (int r = 0; r < c.rows; r++) {
      int y = c.targets[r];
      if (y != c.ignoreIndex && y >= 0 && y < v && r * v + y < length
          && c.logits[r * v + y] == Float.NEGATIVE_INFINITY) {
        c.logits[r * v + y] = 0.5f;
      }
    }
    // Offsets: a random partition (empty samples allowed), sometimes corrupted.
    int samples = d.consumeInt(0, 4);
    c.offsets = new int[samples + 1];
    for (int s = 1; s <= samples; s++) {
      c.offsets[s] = s == samples ? c.rows : d.consumeInt(c.offsets[s - 1], c.rows);
    }
    if (d.consumeInt(0, 14) == 0) {
      int at = d.consumeInt(0, samples);
      c.offsets[at] += d.pickValue(new int[] {-1, 1, 5, -7});
    }
    if (d.consumeInt(0, 29) == 0) {
      c.offsets = new int[0];
    }
    // Coefficients of both signs (DPO's rejected side), sometimes NaN or of the wrong length;
    // under WEIGHT_SUM mostly non-negative (a negative one is a rejection), sometimes all 0 (an
    // IWSI / rejection filter that kept nothing: D = 0 is a zero step).
    int nc = Math.max(samples, 0);
    if (d.consumeInt(0, 24) == 0) {
      nc += d.pickValue(new int[] {-1, 1});
    }
    c.coefficients = new float[Math.max(nc, 0)];
    boolean allZero = d.consumeInt(0, 9) == 0;
    boolean unsigned = c.normalization == Normalization.WEIGHT_SUM && d.consumeInt(0, 3) != 0;
    for (int s = 0; s < c.coefficients.length; s++) {
      float k = d.consumeInt(0, 39) == 0 ? pick(d, Float.NaN, Float.POSITIVE_INFINITY)
          : d.consumeRegularFloat(-2f, 2f);
      c.coefficients[s] = allZero ? 0f : unsigned ? Math.abs(k) : k;
    }
    return c;
  }

  private static float pick(FuzzedDataProvider d, float... values) {
    return values[d.consumeInt(0, values.length - 1)];
  }

  private static double pick(FuzzedDataProvider d, double... values) {
    return values[d.consumeInt(0, values.length - 1)];
  }

  private static int pick(FuzzedDataProvider d, int... values) {
    return values[d.consumeInt(0, values.length - 1)];
  }

  /** Null when the options are valid, else why LossSpec.Builder must reject them. */
  String optionViolation() {
    if (!(eps >= 0 && eps <= 1)) {
      return "labelSmoothing";
    }
    if (!(zLoss >= 0) || Float.isInfinite(zLoss)) {
      return "zLoss";
    }
    if (!(softcap >= 0) || Float.isInfinite(softcap)) {
      return "softcap";
    }
    if (!(scale > 0) || Float.isInfinite(scale)) {
      return "logitScale";
    }
    if (normalization == Normalization.EXPLICIT && !(Double.isFinite(normalizer) && normalizer != 0)) {
      return "normalizer";
    }
    return null;
  }

  LossSpec spec() {
    LossSpec.Builder b = LossSpec.builder().ignoreIndex(ignoreIndex).labelSmoothing(eps).zLoss(zLoss)
        .softcap(softcap).logitScale(scale).tokenReduction(reduction).checkFinite(checkFinite);
    if (normalization == Normalization.EXPLICIT) {
      b.normalizer(normalizer);
    } else {
      b.normalization(normalization);
    }
    return b.build();
  }

  /**
   * The same raw option values as literals, for the float64 reference: it never reads them back
   * through the LossSpec getters.
   */
  RefOptions options() {
    return new RefOptions(eps, zLoss, softcap, scale, reduction == TokenReduction.SUM,
        RefOptions.Mode.valueOf(normalization.name()), normalizer, ignoreIndex);
  }

  boolean needsGrad() {
    return op != Op.FORWARD;
  }

  /**
   * Every reason the call must be rejected, each a fragment the rejection's message must contain
   * (the library may report any one of them). Empty when the call must succeed.
   */
  java.util.List<String> violations(boolean gradModeMatters) {
    java.util.List<String> out = new java.util.ArrayList<>();
    nonFiniteOnly = false;
    if (vocab < 1) {
      out.add("vocab");
      return out;
    }
    if (logits.length != (long) rows * vocab) {
      out.add("logits.length");
      return out;
    }
    if (offsets.length < 1) {
      out.add("offsets.length");
      return out;
    }
    int samples = offsets.length - 1;
    boolean coefficientsShaped = true;
    if (needsGrad()) {
      if (coefficients.length != samples) {
        out.add("coefficients.length");
        coefficientsShaped = false;
      }
      if (gradModeMatters && (gradMode == GradMode.NULL || gradMode == GradMode.WRONG_LENGTH)) {
        out.add("grad");
      }
    }
    boolean offsetsValid = true;
    if (offsets[0] != 0) {
      out.add("offsets[0]");
      offsetsValid = false;
    }
    for (int s = 1; s <= samples; s++) {
      if (offsets[s] < offsets[s - 1] || offsets[s] > rows) {
        out.add("offsets[" + s + "]");
        offsetsValid = false;
      }
    }
    if (offsets[samples] != rows) {
      out.add("offsets[" + samples + "]");
      offsetsValid = false;
    }
    for (int r = 0; r < rows; r++) {
      if (targets[r] != ignoreIndex && (targets[r] < 0 || targets[r] >= vocab)) {
        out.add("targets[" + r + "]");
      }
    }
    if (needsGrad() && coefficientsShaped) {
      boolean finite = true;
      for (int s = 0; s < samples; s++) {
        if (!Float.isFinite(coefficients[s])) {
          out.add("coefficients[" + s + "]");
          finite = false;
        } else if (coefficients[s] < 0 && normalization == Normalization.WEIGHT_SUM) {
          // A signed WEIGHT_SUM can approach D = 0: rejected, pointing to NONE / EXPLICIT.
          out.add("coefficients[" + s + "]");
        }
      }
      if (offsetsValid && finite) {
        int[] counts = new int[samples];
        for (int s = 0; s < samples; s++) {
          for (int r = offsets[s]; r < offsets[s + 1]; r++) {
            counts[s] += targets[r] == ignoreIndex ? 0 : 1;
          }
        }
        // D = 0 is a valid zero step (total 0, zero gradient); only a non-finite D is an error.
        if (!Double.isFinite(
            Reference64.normalizer(options(), counts, Reference64.toDoubles(coefficients)))) {
          out.add("normalizer D");
        }
      }
    }
    if (checkFinite) {
      outer:
      for (int r = 0; r < rows; r++) {
        if (targets[r] == ignoreIndex) {
          continue;
        }
        for (int v = 0; v < vocab; v++) {
          float z = logits[r * vocab + v];
          if (Float.isNaN(z) || z == Float.POSITIVE_INFINITY) {
            out.add("logits[row " + r + ", column " + v + "]");
            nonFiniteOnly = out.size() == 1;
            break outer;
          }
        }
      }
    }
    return out;
  }

  /**
   * The checks of a call rejected with {@code e} (the heap fuzz tests of the token and policy
   * entry points): the verdict {@code bad} has faults and the message names one of them; a lone
   * NaN / +inf logit under checkFinite is a {@link NonFiniteInputException}; the
   * gradient ({@code grad} fp32 or {@code grad16} bf16, whichever this case writes) is as before.
   */
  void checkRejection(IllegalArgumentException e, List<String> bad, String call,
      float[] g32Before, float[] grad, short[] g16Before, short[] grad16) {
    if (bad.isEmpty()) {
      throw new AssertionError("rejected a valid call: " + e.getMessage() + "\n" + call, e);
    }
    Assertions.assertNotNull(e.getMessage());
    Assertions.assertTrue(bad.stream().anyMatch(e.getMessage()::contains),
        "message '" + e.getMessage() + "' names none of the call's faults " + bad + ": " + call);
    if (nonFiniteOnly && bad.size() == 1) {
      Assertions.assertTrue(e instanceof NonFiniteInputException,
          "NaN / +inf under checkFinite: " + e);
    }
    if (bf16) {
      Assertions.assertArrayEquals(g16Before, grad16,
          "bf16 grad written by a rejected call");
    } else {
      Assertions.assertArrayEquals(g32Before, grad,
          "grad written by a rejected call");
    }
  }

  @Override
  public String toString() {
    return String.format(
        "%s bf16=%s grad=%s V=%d rows=%d targets=%s offsets=%s coefficients=%s ignore=%d eps=%s"
            + " zloss=%s softcap=%s scale=%s %s %s D=%s checkFinite=%s logits=%s",
        op, bf16, gradMode, vocab, rows, java.util.Arrays.toString(targets),
        java.util.Arrays.toString(offsets), java.util.Arrays.toString(coefficients), ignoreIndex,
        eps, zLoss, softcap, scale, reduction, normalization, normalizer, checkFinite,
        logits.length <= 64 ? java.util.Arrays.toString(logits) : logits.length + " values");
  }
}
