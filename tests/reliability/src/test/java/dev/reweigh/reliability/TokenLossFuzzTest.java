package dev.reweigh.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.reweigh.FusedLoss;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeBatch;
import dev.reweigh.NativeGrad;
import dev.reweigh.SampleStats;
import dev.reweigh.TokenLoss;
import dev.reweigh.testkit.Bf16;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Fuzzing {@link TokenLoss#backward} (per-row weights w_r and entropy weights beta_r) on the heap
 * API, the {@link FusedLossFuzzTest} way: a {@link FuzzCase} (shapes, options, targets, offsets,
 * coefficients, grad mode; always a backward) plus fuzzed row arrays (signed values, zeros, NaN,
 * +inf, -inf, a wrong length, null; beta also absent). Invariant: the call either matches the
 * float64 reference {@link TokenRef64} within its stated tolerance, or throws
 * IllegalArgumentException naming one of the input's faults (a row array's bad index or length
 * among them) with nothing written; the verdict is the contract's (docs/design.md §3: every row
 * of a heap row array must be finite, ignored rows included).
 *
 * <p>{@code mvn -B verify} replays the corpus under {@code
 * src/test/resources/dev/reweigh/reliability/TokenLossFuzzTestInputs/heapApi/}. The campaign:
 * {@code JAZZER_FUZZ=1 mvn -B -o -Dreweigh.cuda=OFF -pl tests/reliability -am verify
 * -Dtest='TokenLossFuzzTest#heapApi' -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class TokenLossFuzzTest {
  private static final float SENTINEL = -999f;

  @FuzzTest(maxDuration = "5m")
  void heapApi(FuzzedDataProvider data) {
    FuzzCase c = FuzzCase.decode(data);
    c.op = FuzzCase.Op.BACKWARD;
    List<String> bad;
    LossSpec spec;
    try {
      spec = c.spec();
    } catch (IllegalArgumentException e) {
      return; // option checks are FusedLossFuzzTest's
    }
    bad = c.violations(true);
    int rows = c.rows;
    float[] w = rowArray(data, rows, false);
    float[] beta = rowArray(data, rows, true);
    bad.addAll(rowViolations(w, rows, "rowWeights", false));
    bad.addAll(rowViolations(beta, rows, "rowEntropyWeights", true));

    int n = c.logits.length;
    float[] logits = c.logits.clone();
    short[] logits16 = c.bf16 ? Bf16.bits(logits) : null;
    float[] grad = gradFor(c.gradMode, logits);
    short[] grad16 = grad == logits ? logits16 : grad == null ? null : Bf16.bits(grad);
    float[] g32Before = grad == null ? null : grad.clone();
    short[] g16Before = grad16 == null ? null : grad16.clone();
    try {
      if (c.bf16) {
        SampleStats st = FusedLoss.forward(logits16, c.vocab, c.targets, c.offsets, spec);
        TokenLoss.backward(logits16, c.vocab, c.targets, c.offsets, st, c.coefficients, w, beta,
            spec, grad16);
      } else {
        SampleStats st = FusedLoss.forward(logits, c.vocab, c.targets, c.offsets, spec);
        TokenLoss.backward(logits, c.vocab, c.targets, c.offsets, st, c.coefficients, w, beta,
            spec, grad);
      }
    } catch (IllegalArgumentException e) {
      c.checkRejection(e, bad, describe(c, w, beta), g32Before, grad, g16Before, grad16);
      return;
    }
    if (!bad.isEmpty()) {
      fail("accepted a call the contract rejects (" + bad + "): " + describe(c, w, beta));
    }
    TokenRef64 ref = TokenRef64.compute(c.logits, c.vocab, c.targets, c.offsets, c.coefficients,
        w, beta, c.options(), c.bf16);
    float[] g = c.bf16 ? Bf16.values(grad16) : grad;
    for (int i = 0; i < g.length; i++) {
      double want = ref.grad[i];
      if (!(Math.abs(g[i] - want) <= ref.gradTol[i])) {
        fail("grad[" + i / c.vocab + "," + i % c.vocab + "]: got " + g[i] + " want " + want
            + " (tol " + ref.gradTol[i] + ")\n" + describe(c, w, beta));
      }
    }
    assertEquals(n, g.length);
  }

  /**
   * The pointer API: logits in JavaCPP buffers with padded row strides, a separate or in-place
   * gradient, and the row arrays either on the heap (checked in Java: every row) or by address
   * (checked natively: counted rows only, ignored rows never read; docs/design.md §3). Same
   * invariant as {@link #heapApi}.
   */
  @FuzzTest(maxDuration = "5m")
  void pointerApi(FuzzedDataProvider data) {
    FuzzCase c = FuzzCase.decode(data);
    c.op = FuzzCase.Op.BACKWARD;
    int pad = data.consumeInt(0, 2);
    boolean byAddress = data.consumeBoolean();
    LossSpec spec;
    try {
      spec = c.spec();
    } catch (IllegalArgumentException e) {
      return;
    }
    if (c.vocab < 1 || c.offsets.length < 1) {
      return; // shapes a NativeBatch cannot express; heapApi covers them
    }
    int rows = c.rows;
    int v = c.vocab;
    c.logits = Arrays.copyOf(c.logits, rows * v); // a pointer has no length of its own
    float[] w = rowArray(data, rows, false);
    float[] beta = rowArray(data, rows, true);
    int samples = c.offsets.length - 1;
    // By address only what an address can express: arrays of the right lengths.
    byAddress &= w != null && w.length == rows && (beta == null || beta.length == rows)
        && c.coefficients.length == samples;
    List<String> bad = c.violations(false);
    boolean[] counted = new boolean[rows];
    for (int r = 0; r < rows; r++) {
      counted[r] = c.targets[r] != c.ignoreIndex;
    }
    bad.addAll(byAddress ? countedViolations(w, counted, "rowWeights")
        : rowViolations(w, rows, "rowWeights", false));
    bad.addAll(byAddress ? countedViolations(beta, counted, "rowEntropyWeights")
        : rowViolations(beta, rows, "rowEntropyWeights", true));
    boolean inPlace = c.gradMode == FuzzCase.GradMode.IN_PLACE;
    int stride = v + pad;
    long span = rows == 0 ? 0 : (long) (rows - 1) * stride + v;
    try (FloatPointer l32 = new FloatPointer(Math.max(span, 1));
        ShortPointer l16 = new ShortPointer(Math.max(span, 1));
        FloatPointer g32 = new FloatPointer(Math.max(span, 1));
        ShortPointer g16 = new ShortPointer(Math.max(span, 1));
        IntPointer targets = new IntPointer(c.targets.length == 0 ? new int[1] : c.targets);
        IntPointer offsets = new IntPointer(c.offsets)) {
      for (long i = 0; i < Math.max(span, 1); i++) {
        g32.put(i, SENTINEL);
        g16.put(i, Bf16.bits(SENTINEL));
        l32.put(i, SENTINEL);
        l16.put(i, Bf16.bits(SENTINEL));
      }
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < v; j++) {
          l32.put((long) r * stride + j, c.logits[r * v + j]);
          l16.put((long) r * stride + j, Bf16.bits(c.logits[r * v + j]));
        }
      }
      NativeBatch.Builder b = NativeBatch.builder();
      if (c.bf16) {
        b.logitsBf16(l16, rows, v);
      } else {
        b.logits(l32, rows, v);
      }
      NativeBatch batch = b.rowStride(stride).targets(targets).offsets(offsets, samples).build();
      NativeGrad grad = inPlace ? NativeGrad.inPlace(batch)
          : c.bf16 ? NativeGrad.of(g16, stride) : NativeGrad.of(g32, stride);
      Pointer out = inPlace ? (c.bf16 ? l16 : l32) : (c.bf16 ? g16 : g32);
      float[] before = read(out, c.bf16, span);
      try {
        SampleStats st = FusedLoss.forward(batch, spec);
        if (byAddress) {
          try (FloatPointer lse = new FloatPointer(padded(st.rowLse()));
              FloatPointer ent = new FloatPointer(padded(st.rowEntropy()));
              FloatPointer coef = new FloatPointer(padded(c.coefficients));
              FloatPointer wp = new FloatPointer(padded(w));
              FloatPointer bp = beta == null ? null : new FloatPointer(padded(beta))) {
            TokenLoss.backward(batch, lse.address(), ent.address(), coef.address(), wp.address(),
                bp == null ? 0 : bp.address(), spec, grad);
          }
        } else {
          TokenLoss.backward(batch, st, c.coefficients, w, beta, spec, grad);
        }
      } catch (IllegalArgumentException e) {
        if (bad.isEmpty()) {
          throw new AssertionError("rejected a valid call: " + e.getMessage() + "\n"
              + describe(c, w, beta), e);
        }
        assertTrue(bad.stream().anyMatch(e.getMessage()::contains), "message '" + e.getMessage()
            + "' names none of the call's faults " + bad + ": " + describe(c, w, beta));
        assertArrayEquals(before, read(out, c.bf16, span), "written by a rejected call");
        return;
      }
      if (!bad.isEmpty()) {
        fail("accepted a call the contract rejects (" + bad + "): " + describe(c, w, beta));
      }
      TokenRef64 ref = TokenRef64.compute(c.logits, v, c.targets, c.offsets, c.coefficients, w,
          beta, c.options(), c.bf16);
      float[] g = read(out, c.bf16, span);
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < stride && (long) r * stride + j < span; j++) {
          float got = g[r * stride + j];
          if (j >= v) {
            // Row padding: never written (in place it holds the sentinel the logits' padding has).
            assertEquals(c.bf16 ? Bf16.round(SENTINEL) : SENTINEL, got, "padding " + r + "," + j);
          } else if (!(Math.abs(got - ref.grad[r * v + j]) <= ref.gradTol[r * v + j])) {
            fail("grad[" + r + "," + j + "]: got " + got + " want " + ref.grad[r * v + j]
                + " (tol " + ref.gradTol[r * v + j] + ")\n" + describe(c, w, beta));
          }
        }
      }
    }
  }

  /** A zero-length array as one element, so its pointer is a real allocation (never read). */
  private static float[] padded(float[] a) {
    return a.length == 0 ? new float[1] : a;
  }

  private static float[] read(Pointer p, boolean bf16, long span) {
    float[] out = new float[(int) span];
    for (int i = 0; i < out.length; i++) {
      out[i] = bf16 ? Bf16.value(((ShortPointer) p).get(i)) : ((FloatPointer) p).get(i);
    }
    return out;
  }

  /** The native verdict on a row array by address: non-finite entries of counted rows only. */
  private static List<String> countedViolations(float[] a, boolean[] counted, String name) {
    List<String> out = new ArrayList<>();
    if (a != null) {
      for (int r = 0; r < counted.length; r++) {
        if (counted[r] && !Float.isFinite(a[r])) {
          out.add(name + "[" + r + "]");
        }
      }
    }
    return out;
  }

  /** The logits themselves (in place), a sentinel-filled array of the right or a wrong length, or null. */
  private static float[] gradFor(FuzzCase.GradMode mode, float[] logits) {
    return switch (mode) {
      case IN_PLACE -> logits;
      case NULL -> null;
      case SEPARATE, WRONG_LENGTH -> {
        float[] g = new float[logits.length + (mode == FuzzCase.GradMode.SEPARATE ? 0 : 1)];
        Arrays.fill(g, SENTINEL);
        yield g;
      }
    };
  }

  /** Mostly finite signed values (zeros included); sometimes a non-finite entry, a wrong length or null. */
  private static float[] rowArray(FuzzedDataProvider d, int rows, boolean optional) {
    int kind = d.consumeInt(0, 19);
    if (kind == 0) {
      return null;
    }
    if (optional && kind < 6) {
      return null; // no entropy term
    }
    int length = kind == 1 ? Math.max(0, rows + d.pickValue(new int[] {-1, 1})) : rows;
    float[] a = new float[length];
    for (int r = 0; r < length; r++) {
      int k = d.consumeInt(0, 49);
      a[r] = k < 40 ? d.consumeRegularFloat(-3f, 3f) : k < 46 ? 0f
          : d.pickValue(new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
              1e-30f});
    }
    return a;
  }

  /** The contract's verdict on one row array (docs/design.md §3, TokenLoss). */
  private static List<String> rowViolations(float[] a, int rows, String name, boolean optional) {
    List<String> out = new ArrayList<>();
    if (a == null) {
      if (!optional) {
        out.add(name + " is null");
      }
      return out;
    }
    if (a.length != rows) {
      out.add(name + ".length");
      return out;
    }
    for (int r = 0; r < rows; r++) {
      if (!Float.isFinite(a[r])) {
        out.add(name + "[" + r + "]");
      }
    }
    return out;
  }

  private static String describe(FuzzCase c, float[] w, float[] beta) {
    return c + " rowWeights=" + Arrays.toString(w) + " rowEntropyWeights=" + Arrays.toString(beta);
  }
}
