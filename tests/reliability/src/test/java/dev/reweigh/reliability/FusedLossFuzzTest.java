package dev.reweigh.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.reweigh.FusedLoss;
import dev.reweigh.LossResult;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeBatch;
import dev.reweigh.NativeGrad;
import dev.reweigh.NativeStats;
import dev.reweigh.NonFiniteInputException;
import dev.reweigh.SampleStats;
import dev.reweigh.testkit.Bf16;
import dev.reweigh.testkit.Reference64;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Fuzzing the public API. Invariant: every call either returns results equal to the float64
 * reference {@link Reference64} within its stated tolerance (statistics, per-row lse, log-prob and
 * entropy, total, the normaliser D, the gradient), or throws IllegalArgumentException
 * (NonFiniteInputException for NaN / +inf logits under checkFinite) naming one of the input's
 * actual faults, with nothing written (the logits too, in place or not; logits that are not the
 * gradient are never written, accepted or rejected); and the verdict (accept
 * or reject) is the contract's, computed by {@link FuzzCase#violations}: D = 0 is a zero step,
 * a negative coefficient under WEIGHT_SUM, a gradient of the wrong element type and an output
 * aliasing an input are rejections. The JVM never crashes: a native fault would kill the fuzzer,
 * which Jazzer reports as a crash.
 *
 * <p>{@code mvn -B verify} replays the checked-in corpus under {@code
 * src/test/resources/dev/reweigh/reliability/FusedLossFuzzTestInputs/<method>/} (regression mode).
 * The long campaign is {@code JAZZER_FUZZ=1} (tests/reliability/README.md).
 */
class FusedLossFuzzTest {
  private static final float SENTINEL = -999f;

  @FuzzTest(maxDuration = "5m")
  void heapApi(FuzzedDataProvider data) {
    FuzzCase c = FuzzCase.decode(data);
    LossSpec spec = specOrNull(c);
    if (spec == null) {
      return;
    }
    List<String> bad = c.violations(true);
    int n = c.logits.length;
    float[] logits = c.logits.clone();
    short[] logits16 = c.bf16 ? Bf16.bits(logits) : null;
    float[] grad = null;
    short[] grad16 = null;
    switch (c.gradMode) {
      case SEPARATE:
      case WRONG_LENGTH:
        int len = c.gradMode == FuzzCase.GradMode.SEPARATE ? n : n + 1;
        grad = new float[len];
        Arrays.fill(grad, SENTINEL);
        grad16 = Bf16.bits(grad);
        break;
      case IN_PLACE:
        grad = logits;
        grad16 = logits16;
        break;
      default:
        break;
    }
    float[] g32Before = grad == null ? null : grad.clone();
    short[] g16Before = grad16 == null ? null : grad16.clone();
    SampleStats stats = null;
    LossResult result = null;
    try {
      switch (c.op) {
        case FORWARD:
          stats = c.bf16 ? FusedLoss.forward(logits16, c.vocab, c.targets, c.offsets, spec)
              : FusedLoss.forward(logits, c.vocab, c.targets, c.offsets, spec);
          break;
        case FORWARD_BACKWARD:
          result = c.bf16
              ? FusedLoss.forwardBackward(logits16, c.vocab, c.targets, c.offsets, c.coefficients,
                  spec, grad16)
              : FusedLoss.forwardBackward(logits, c.vocab, c.targets, c.offsets, c.coefficients,
                  spec, grad);
          stats = result.stats();
          break;
        default:
          stats = c.bf16 ? FusedLoss.forward(logits16, c.vocab, c.targets, c.offsets, spec)
              : FusedLoss.forward(logits, c.vocab, c.targets, c.offsets, spec);
          if (c.bf16) {
            FusedLoss.backward(logits16, c.vocab, c.targets, c.offsets, stats, c.coefficients, spec,
                grad16);
          } else {
            FusedLoss.backward(logits, c.vocab, c.targets, c.offsets, stats, c.coefficients, spec,
                grad);
          }
          break;
      }
    } catch (IllegalArgumentException e) {
      rejected(c, bad, e);
      // Nothing written: the gradient buffer (the logits themselves in place) keeps its bits.
      if (c.bf16) {
        assertArrayEquals(g16Before, grad16, "bf16 grad written by a rejected call: " + c);
      } else {
        assertArrayEquals(g32Before, grad, "grad written by a rejected call: " + c);
      }
      assertLogitsKept(c, logits, logits16, "a rejected call");
      return;
    }
    if (!bad.isEmpty()) {
      fail("accepted a call the contract rejects (" + bad + "): " + c);
    }
    assertLogitsKept(c, logits, logits16, "an accepted call");
    Reference64 ref = Reference64.compute(c.logits, c.vocab, c.targets, c.offsets,
        c.needsGrad() ? c.coefficients : null, c.options(), c.bf16);
    checkStats(c, ref, stats);
    if (result != null) {
      checkTotal(c, ref, result);
    }
    if (c.needsGrad()) {
      float[] g = c.bf16 ? Bf16.values(grad16) : grad;
      checkGrad(c, ref, g, c.vocab, c.vocab);
    }
  }

  /**
   * The pointer API: JavaCPP buffers with padded row strides, int32 or int64 labels, separate,
   * in-place, overlapping or deallocated buffers, a gradient of the wrong element type, and
   * outputs that alias the targets or offsets.
   */
  @FuzzTest(maxDuration = "5m")
  void pointerApi(FuzzedDataProvider data) {
    FuzzCase c = FuzzCase.decode(data);
    int pad = data.consumeInt(0, 3);
    int gradPad = data.consumeInt(0, 2);
    boolean longLabels = data.consumeBoolean();
    // 0: grad overlaps logits, 1: logits freed before the call, 2: grad of the other element type,
    // 3: grad over the targets, 4: a NativeStats output over the offsets
    int mode = data.consumeInt(0, 19);
    LossSpec spec = specOrNull(c);
    if (spec == null || c.vocab < 1 || c.offsets.length < 1) {
      return; // shapes the pointer builder cannot even express; the heap fuzzer covers them
    }
    if (c.logits.length != c.rows * c.vocab) {
      c.logits = Arrays.copyOf(c.logits, c.rows * c.vocab); // a pointer has no length of its own
    }
    // Pointer grads here are always real buffers: the NULL / WRONG_LENGTH modes mean separate.
    List<String> bad = c.violations(false);
    int v = c.vocab;
    int stride = v + pad;
    long span = c.rows == 0 ? 0 : (long) (c.rows - 1) * stride + v;
    int samples = c.offsets.length - 1;
    try (FloatPointer l32 = new FloatPointer(Math.max(span, 1));
        ShortPointer l16 = new ShortPointer(Math.max(span, 1));
        IntPointer t32 = new IntPointer(c.targets.length == 0 ? 1 : c.targets.length);
        LongPointer t64 = new LongPointer(c.targets.length == 0 ? 1 : c.targets.length);
        IntPointer o32 = new IntPointer(c.offsets);
        LongPointer o64 = new LongPointer(c.offsets.length);
        FloatPointer g32 = new FloatPointer(Math.max(span + gradPad * (long) c.rows, 1));
        ShortPointer g16 = new ShortPointer(Math.max(span + gradPad * (long) c.rows, 1))) {
      for (int r = 0; r < c.rows; r++) {
        for (int j = 0; j < v; j++) {
          l32.put((long) r * stride + j, c.logits[r * v + j]);
          l16.put((long) r * stride + j, Bf16.bits(c.logits[r * v + j]));
        }
        t32.put(r, c.targets[r]);
        t64.put(r, c.targets[r]);
      }
      for (int s = 0; s < c.offsets.length; s++) {
        o64.put(s, c.offsets[s]);
      }
      int gstride = v + gradPad;
      for (long i = 0; i < g32.capacity(); i++) {
        g32.put(i, SENTINEL);
        g16.put(i, Bf16.bits(SENTINEL));
      }
      NativeBatch.Builder b = NativeBatch.builder();
      if (c.bf16) {
        b.logitsBf16(l16, c.rows, v);
      } else {
        b.logits(l32, c.rows, v);
      }
      b.rowStride(stride);
      if (longLabels) {
        b.targets(t64).offsets(o64, samples);
      } else {
        b.targets(t32).offsets(o32, samples);
      }
      NativeBatch batch = b.build();
      float[] logitsBefore = readLogits(c, l32, l16, span);
      NativeGrad grad;
      boolean inPlace = c.gradMode == FuzzCase.GradMode.IN_PLACE;
      // Needs a span of 2+ elements: a 1-element batch and a grad one element on do not overlap.
      boolean overlap = mode == 0 && span > 1 && c.needsGrad();
      boolean overTargets = mode == 3 && c.rows > 0 && c.needsGrad();
      if (overlap) {
        // One element past the logits' start: neither separate nor in place.
        grad = NativeGrad.ofAddress(batch.logitsAddress() + (c.bf16 ? 2 : 4), stride);
        bad.add("grad overlaps logits");
      } else if (overTargets) {
        grad = NativeGrad.ofAddress(longLabels ? t64.address() : t32.address(), gstride);
        // Over the targets, and over whatever buffer the allocator placed after them (the logits,
        // the offsets): the library may name any of those overlaps first.
        bad.add("grad overlaps ");
      } else if (inPlace) {
        grad = NativeGrad.inPlace(batch);
      } else if (mode == 2 && c.needsGrad()) {
        // The other element type: a ShortPointer counted as fp32 elements would be overrun.
        grad = c.bf16 ? NativeGrad.of(g32, gstride) : NativeGrad.of(g16, gstride);
        bad.add(c.bf16 ? "grad is a FloatPointer" : "grad is a ShortPointer");
      } else {
        grad = c.bf16 ? NativeGrad.of(g16, gstride) : NativeGrad.of(g32, gstride);
      }
      if (mode == 1 && c.rows > 0) {
        (c.bf16 ? (Pointer) l16 : l32).deallocate();
        bad.add("logits pointer was deallocated");
      }
      if (mode == 4 && c.op == FuzzCase.Op.FORWARD && mode != 1) {
        statsOverOffsets(c, spec, batch, longLabels ? o64 : o32, bad);
        return;
      }
      SampleStats stats = null;
      LossResult result = null;
      try {
        switch (c.op) {
          case FORWARD:
            stats = FusedLoss.forward(batch, spec);
            break;
          case FORWARD_BACKWARD:
            result = FusedLoss.forwardBackward(batch, c.coefficients, spec, grad);
            stats = result.stats();
            break;
          default:
            stats = FusedLoss.forward(batch, spec);
            FusedLoss.backward(batch, stats, c.coefficients, spec, grad);
            break;
        }
      } catch (IllegalArgumentException e) {
        rejected(c, bad, e);
        if (!overlap && !overTargets) {
          for (long i = 0; i < g32.capacity(); i++) {
            if (c.bf16 ? g16.get(i) != Bf16.bits(SENTINEL) : g32.get(i) != SENTINEL) {
              fail("grad[" + i + "] written by a rejected call (" + e.getMessage() + "): " + c);
            }
          }
        }
        if (mode != 1 || c.rows == 0) {
          // In place or not, a rejected call leaves the logits as they were.
          assertArrayEquals(logitsBefore, readLogits(c, l32, l16, span),
              "logits written by a rejected call (" + e.getMessage() + "): " + c);
        }
        if (overTargets) {
          for (int r = 0; r < c.rows; r++) {
            assertEquals(c.targets[r], longLabels ? t64.get(r) : t32.get(r),
                "targets written by a rejected call: " + c);
          }
        }
        return;
      }
      if (!bad.isEmpty()) {
        fail("accepted a call the contract rejects (" + bad + "): " + c);
      }
      Reference64 ref = Reference64.compute(c.logits, v, c.targets, c.offsets,
          c.needsGrad() ? c.coefficients : null, c.options(), c.bf16);
      checkStats(c, ref, stats);
      if (result != null) {
        checkTotal(c, ref, result);
      }
      if (c.needsGrad()) {
        int gs = inPlace ? stride : gstride;
        float[] g = new float[(int) Math.max(span + gradPad * (long) c.rows, 0)];
        for (int i = 0; i < g.length; i++) {
          g[i] = inPlace ? (c.bf16 ? Bf16.value(l16.get(i)) : l32.get(i))
              : (c.bf16 ? Bf16.value(g16.get(i)) : g32.get(i));
        }
        checkGrad(c, ref, g, gs, v);
        if (!inPlace) {
          // Row padding of a separate grad is never written.
          for (int r = 0; r + 1 < c.rows; r++) {
            for (int j = v; j < gs; j++) {
              assertEquals(c.bf16 ? Bf16.round(SENTINEL) : SENTINEL, g[r * gs + j],
                  "grad padding row " + r + " col " + j + ": " + c);
            }
          }
        }
      }
    }
  }

  // ---- shared checks ------------------------------------------------------------------------

  private static LossSpec specOrNull(FuzzCase c) {
    String optionBad = c.optionViolation();
    try {
      LossSpec spec = c.spec();
      assertNull(optionBad, "LossSpec accepted an invalid " + optionBad + ": " + c);
      return spec;
    } catch (IllegalArgumentException e) {
      assertNotNull(optionBad, "LossSpec rejected valid options (" + e.getMessage() + "): " + c);
      assertTrue(e.getMessage().contains(optionBad), e.getMessage() + " should name " + optionBad);
      return null;
    }
  }

  /**
   * A rejection is accepted only where the input is invalid, and only for one of the reasons it
   * is invalid: the message must name one of them.
   */
  private static void rejected(FuzzCase c, List<String> bad, IllegalArgumentException e) {
    if (bad.isEmpty()) {
      throw new AssertionError("rejected a valid call: " + e.getMessage() + "\n" + c, e);
    }
    assertNotNull(e.getMessage());
    assertTrue(bad.stream().anyMatch(e.getMessage()::contains),
        "message '" + e.getMessage() + "' names none of the call's faults " + bad + ": " + c);
    if (c.nonFiniteOnly && bad.size() == 1) {
      assertTrue(e instanceof NonFiniteInputException,
          "a NaN / +inf logit under checkFinite must be a NonFiniteInputException: " + e);
    }
  }

  /** A forward whose NativeStats loss output is the offsets buffer: rejected, offsets intact. */
  private static void statsOverOffsets(FuzzCase c, LossSpec spec, NativeBatch batch,
      Pointer offsets, List<String> bad) {
    int samples = c.offsets.length - 1;
    if (samples > 0) {
      bad.add("stats.loss overlaps offsets");
    }
    try {
      FusedLoss.forward(batch, spec, NativeStats.builder().loss(offsets.address()).build());
    } catch (IllegalArgumentException e) {
      rejected(c, bad, e);
      for (int s = 0; s <= samples; s++) {
        long got = offsets instanceof LongPointer ? ((LongPointer) offsets).get(s)
            : ((IntPointer) offsets).get(s);
        assertEquals(c.offsets[s], got, "offsets written by a rejected call: " + c);
      }
      return;
    }
    if (!bad.isEmpty()) {
      fail("accepted a call the contract rejects (" + bad + "): " + c);
    }
  }

  /**
   * Logits the call does not own as its gradient keep their bits (in place, the logits are the
   * gradient and are checked as such).
   */
  private static void assertLogitsKept(FuzzCase c, float[] logits, short[] logits16, String call) {
    if (c.gradMode == FuzzCase.GradMode.IN_PLACE) {
      return;
    }
    if (c.bf16) {
      assertArrayEquals(Bf16.bits(c.logits), logits16, "bf16 logits written by " + call + ": " + c);
    } else {
      assertArrayEquals(c.logits, logits, "logits written by " + call + ": " + c);
    }
  }

  private static float[] readLogits(FuzzCase c, FloatPointer l32, ShortPointer l16, long span) {
    float[] out = new float[(int) span];
    for (int i = 0; i < out.length; i++) {
      out[i] = c.bf16 ? Bf16.value(l16.get(i)) : l32.get(i);
    }
    return out;
  }

  private static void close(String what, double want, double got, double tol, FuzzCase c) {
    if (Double.isNaN(want) || Double.isNaN(got) || Double.isInfinite(want)
        || Double.isInfinite(got)) {
      if (!(Double.compare(want, got) == 0 || (Double.isNaN(want) && Double.isNaN(got)))) {
        fail(what + ": got " + got + " want " + want + "\n" + c);
      }
      return;
    }
    if (!(Math.abs(got - want) <= tol)) {
      fail(what + ": got " + got + " want " + want + " (|err| " + Math.abs(got - want) + " > tol "
          + tol + ")\n" + c);
    }
  }

  private static void checkStats(FuzzCase c, Reference64 ref, SampleStats st) {
    int samples = c.offsets.length - 1;
    assertEquals(samples, st.samples());
    for (int s = 0; s < samples; s++) {
      assertEquals(ref.tokenCount[s], st.tokenCount(s), "tokenCount[" + s + "] " + c);
      close("loss[" + s + "]", ref.loss[s], st.loss(s), ref.lossTol(s), c);
      close("logProbSum[" + s + "]", ref.logProbSum[s], st.logProbSum(s), ref.sumTol(s),
          c);
      close("meanEntropy[" + s + "]", ref.meanEntropy[s], st.meanEntropy(s),
          ref.entropyTol(s), c);
    }
    float[] lse = st.rowLse();
    float[] logp = st.rowLogp();
    float[] entropy = st.rowEntropy();
    for (int r = 0; r < c.rows; r++) {
      if (ref.counted[r]) {
        close("rowLse[" + r + "]", ref.rowLse[r], lse[r], ref.rowTol[r] + Reference64.U * Math.abs(ref.rowLse[r]), c);
        close("rowLogp[" + r + "]", ref.rowLogp[r], logp[r],
            ref.rowTol[r] + Reference64.U * Math.abs(ref.rowLogp[r]), c);
        close("rowEntropy[" + r + "]", ref.rowEntropy[r], entropy[r],
            ref.rowTol[r] + Reference64.U * Math.abs(ref.rowEntropy[r]), c);
      } else {
        assertEquals(0f, lse[r], "ignored row " + r + " lse: " + c);
        assertEquals(0f, logp[r], "ignored row " + r + " logp: " + c);
        assertEquals(0f, entropy[r], "ignored row " + r + " entropy: " + c);
      }
    }
  }

  private static void checkTotal(FuzzCase c, Reference64 ref, LossResult result) {
    assertEquals(ref.d, result.normalizer(), "normalizer D: " + c);
    if (ref.d == 0) {
      // D = 0: a zero step, exactly.
      assertEquals(0.0, result.total(), "total under D = 0: " + c);
      return;
    }
    double tol = 4 * Reference64.U * Math.abs(ref.total);
    for (int s = 0; s < c.offsets.length - 1; s++) {
      tol += Math.abs(c.coefficients[s]) * ref.lossTol(s) / Math.abs(ref.d);
    }
    close("total", ref.total, result.total(), tol, c);
  }

  private static void checkGrad(FuzzCase c, Reference64 ref, float[] g, int gstride, int v) {
    for (int r = 0; r < c.rows; r++) {
      for (int j = 0; j < v; j++) {
        float got = g[r * gstride + j];
        if (!ref.counted[r]) {
          assertEquals(0f, got, 0f, "ignored row " + r + " col " + j + ": " + c);
        } else {
          close("grad[" + r + "," + j + "]", ref.grad[r * v + j], got, ref.gradTol[r * v + j], c);
        }
      }
    }
  }
}
