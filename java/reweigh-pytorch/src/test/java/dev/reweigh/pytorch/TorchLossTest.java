package dev.reweigh.pytorch;

import static dev.reweigh.testkit.Reference64.toFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.FusedLoss;
import dev.reweigh.LossResult;
import dev.reweigh.LossSpec;
import dev.reweigh.SampleStats;
import dev.reweigh.TokenReduction;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The PyTorch adapter against the core's heap path on the same numbers: both run the same
 * kernels, so results must agree exactly (0 ulp) whenever the adapter hands the kernels the same
 * rows. Anything else means the adapter read the tensor through a wrong address, stride or
 * layout. Independent checks against libtorch's own loss live in tests/.
 */
class TorchLossTest {
  private static final LossSpec SPEC = LossSpec.builder().labelSmoothing(0.05f).build();

  /** A [B, T, V] problem with some ignored rows, as heap arrays and tensors. */
  private static final class Problem {
    final int b;
    final int t;
    final int v;
    final float[] z;
    final long[] y;
    final float[] c;

    Problem(long seed, int b, int t, int v) {
      SplittableRandom rnd = new SplittableRandom(seed);
      this.b = b;
      this.t = t;
      this.v = v;
      this.z = Tensors.randomLogits(rnd, b * t * v, 4.0);
      this.y = new long[b * t];
      for (int i = 0; i < y.length; i++) {
        y[i] = rnd.nextInt(8) == 0 ? -100 : rnd.nextInt(v);
      }
      this.c = new float[b];
      for (int i = 0; i < b; i++) {
        c[i] = (float) (0.25 + 1.5 * rnd.nextDouble());
      }
    }

    /** The reference: the core's heap path on the same numbers, gradient into {@code grad}. */
    LossResult heapForwardBackward(float[] grad) {
      return FusedLoss.forwardBackward(z, v, Tensors.toInts(y), offsets(), c, SPEC, grad);
    }

    int[] offsets() {
      int[] o = new int[b + 1];
      for (int i = 0; i <= b; i++) {
        o[i] = i * t;
      }
      return o;
    }

    long[] offsetsLong() {
      long[] o = new long[b + 1];
      for (int i = 0; i <= b; i++) {
        o[i] = (long) i * t;
      }
      return o;
    }
  }

  private static void assertSameStats(SampleStats ref, TorchStats st) {
    assertArrayEquals(toFloats(ref.losses()), Tensors.toFloats(st.loss()), "loss");
    assertArrayEquals(toFloats(ref.logProbSums()), Tensors.toFloats(st.logProbSum()), "logProbSum");
    assertArrayEquals(toFloats(ref.meanEntropies()), Tensors.toFloats(st.meanEntropy()),
        "meanEntropy");
    long[] counts = Tensors.toLongs(st.tokenCount());
    for (int s = 0; s < ref.samples(); s++) {
      assertEquals(ref.tokenCount(s), counts[s], "tokenCount[" + s + "]");
    }
    assertArrayEquals(ref.rowLse(), Tensors.toFloats(st.rowLse()), "rowLse");
  }

  @Test
  void paddedBtvMatchesHeapPath() {
    Problem p = new Problem(1, 3, 5, 37);
    SampleStats ref = FusedLoss.forward(p.z, p.v, Tensors.toInts(p.y), p.offsets(), SPEC);
    Tensor logits = Tensors.floats(p.z, p.b, p.t, p.v);
    TorchBatch batch = TorchBatch.padded(logits, Tensors.longs(p.y, p.b, p.t));
    assertEquals(15, batch.rows());
    assertEquals(3, batch.samples());
    assertSameStats(ref, TorchLoss.forward(batch, SPEC));
  }

  @Test
  void rowsVWithOffsetsMatchesBtvPadded() {
    Problem p = new Problem(2, 4, 3, 19);
    Tensor logits2d = Tensors.floats(p.z, (long) p.b * p.t, p.v);
    TorchBatch packed = TorchBatch.of(logits2d, Tensors.longs(p.y, p.y.length),
        Tensors.longs(p.offsetsLong(), p.b + 1));
    TorchBatch padded = TorchBatch.padded(Tensors.floats(p.z, p.b, p.t, p.v),
        Tensors.longs(p.y, p.b, p.t));
    TorchStats a = TorchLoss.forward(packed, SPEC);
    TorchStats b = TorchLoss.forward(padded, SPEC);
    assertArrayEquals(Tensors.toFloats(a.loss()), Tensors.toFloats(b.loss()));
    assertArrayEquals(Tensors.toFloats(a.rowLse()), Tensors.toFloats(b.rowLse()));
  }

  @Test
  void forwardBackwardInPlaceAndIntoGradTensorMatchHeap() {
    Problem p = new Problem(3, 4, 6, 33);
    float[] refGrad = new float[p.z.length];
    LossResult ref = p.heapForwardBackward(refGrad);

    Tensor logits = Tensors.floats(p.z, p.b, p.t, p.v);
    TorchBatch batch = TorchBatch.padded(logits, Tensors.longs(p.y, p.b, p.t));
    Tensor grad = Tensors.floats(new float[p.z.length], p.b, p.t, p.v);
    TorchResult r = TorchLoss.forwardBackward(batch, p.c, SPEC, grad);
    assertEquals(ref.total(), r.total(), 0.0, "total");
    assertArrayEquals(refGrad, Tensors.toFloats(grad), "grad tensor");
    assertArrayEquals(p.z, Tensors.toFloats(logits), "logits untouched when grad is given");
    assertSameStats(ref.stats(), r.stats());

    TorchResult inPlace = TorchLoss.forwardBackward(batch, Tensors.floats(p.c, p.b), SPEC, null);
    assertEquals(ref.total(), inPlace.total(), 0.0, "total in place");
    assertArrayEquals(refGrad, Tensors.toFloats(logits), "gradient written over the logits");
  }

  @Test
  void backwardFromForwardStatsMatchesForwardBackward() {
    Problem p = new Problem(4, 2, 7, 50);
    LossSpec sum = SPEC.toBuilder().tokenReduction(TokenReduction.SUM).zLoss(1e-3f).build();
    // The separate backward recomputes from the stored float32 lse, so it is compared with the
    // heap backward (same inputs, bit-identical), not with the fused forwardBackward (a few ulp).
    float[] refGrad = new float[p.z.length];
    int[] y = Tensors.toInts(p.y);
    SampleStats refStats = FusedLoss.forward(p.z, p.v, y, p.offsets(), sum);
    FusedLoss.backward(p.z, p.v, y, p.offsets(), refStats, p.c, sum, refGrad);
    TorchBatch batch = TorchBatch.padded(Tensors.floats(p.z, p.b, p.t, p.v),
        Tensors.longs(p.y, p.b, p.t));
    TorchStats st = TorchLoss.forward(batch, sum);
    Tensor grad = Tensors.floats(new float[p.z.length], p.b, p.t, p.v);
    TorchLoss.backward(batch, st, p.c, sum, grad);
    assertArrayEquals(refGrad, Tensors.toFloats(grad));
  }

  @Test
  void stridedRowsAreReadThroughTheirStride() {
    // Logits are a narrow() over a wider [rows, V + 9] buffer and skip every other row: row
    // stride 2 * (V + 9), storage offset 3 (a view that starts mid-row).
    Problem p = new Problem(5, 2, 4, 21);
    int rows = p.b * p.t;
    int wide = p.v + 9;
    float[] buf = new float[2 * rows * wide];
    java.util.Arrays.fill(buf, Float.NaN); // anything read outside the view poisons the result
    for (int r = 0; r < rows; r++) {
      System.arraycopy(p.z, r * p.v, buf, 2 * r * wide + 3, p.v);
    }
    Tensor view = Tensors.floats(buf, 2L * rows, wide).narrow(0, 0, 2L * rows)
        .view(rows, 2L * wide).narrow(1, 3, p.v);
    assertTrue(!view.is_contiguous());
    TorchBatch batch = TorchBatch.of(view, Tensors.longs(p.y, rows),
        Tensors.longs(p.offsetsLong(), p.b + 1));
    assertEquals(2L * wide, batch.rowStride());
    SampleStats ref = FusedLoss.forward(p.z, p.v, Tensors.toInts(p.y), p.offsets(), SPEC);
    assertSameStats(ref, TorchLoss.forward(batch, SPEC));

    // The gradient lands in the view only; the NaN padding around it is untouched.
    float[] refGrad = new float[p.z.length];
    p.heapForwardBackward(refGrad);
    TorchLoss.forwardBackward(batch, p.c, SPEC, null);
    assertArrayEquals(refGrad, Tensors.toFloats(view));
  }

  @Test
  void transposedLogitsAreRejectedNamingTheFix() {
    Tensor logits = Tensors.floats(new float[6 * 4], 6, 4).t(); // [4, 6], vocab stride 4
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TorchBatch.of(logits, Tensors.longs(new long[4], 4), Tensors.longs(new long[] {0, 4},
            2)));
    assertTrue(e.getMessage().contains("logits") && e.getMessage().contains("contiguous"),
        e.getMessage());
  }

  @Test
  void btvWhoseRowsAreNotOneSequenceIsRejected() {
    // [B, T, V] = permute of [T, B, V]: the B stride is V, the T stride B * V.
    Tensor logits = Tensors.floats(new float[3 * 2 * 5], 3, 2, 5).permute(1, 0, 2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TorchBatch.padded(logits, Tensors.longs(new long[6], 2, 3)));
    assertTrue(e.getMessage().contains("B stride"), e.getMessage());
  }

  @Test
  void float64LogitsAreRejected() {
    Tensor logits = Tensors.floats(new float[8], 2, 4).to(new org.bytedeco.pytorch.Device("cpu"),
        ScalarType.Double);
    assertRejected("logits dtype Double", () -> TorchBatch.of(logits,
        Tensors.longs(new long[2], 2), Tensors.longs(new long[] {0, 2}, 2)));
  }

  @Test
  void int32TargetsAreRejected() {
    Tensor logits = Tensors.floats(new float[8], 2, 4);
    assertRejected("targets dtype Int", () -> TorchBatch.of(logits,
        Tensors.ints(new int[2], 2), Tensors.longs(new long[] {0, 2}, 2)));
  }

  @Test
  void wrongCountsAndDevicesOfOtherArgumentsAreRejected() {
    Tensor logits = Tensors.floats(new float[8], 2, 4);
    Tensor offsets = Tensors.longs(new long[] {0, 2}, 2);
    assertRejected("targets has 3 elements",
        () -> TorchBatch.of(logits, Tensors.longs(new long[3], 3), offsets));
    TorchBatch batch = TorchBatch.of(logits, Tensors.longs(new long[2], 2), offsets);
    assertRejected("coefficients.length = 2",
        () -> TorchLoss.forwardBackward(batch, new float[2], SPEC, null));
    Tensor c64 = Tensors.floats(new float[1], 1).to(new org.bytedeco.pytorch.Device("cpu"),
        ScalarType.Double);
    assertRejected("coefficients dtype Double",
        () -> TorchLoss.forwardBackward(batch, c64, SPEC, null));
    Tensor badGrad = Tensors.floats(new float[8], 4, 2);
    assertRejected("grad [4, 2]",
        () -> TorchLoss.forwardBackward(batch, new float[1], SPEC, badGrad));
    IllegalArgumentException oob = assertThrows(IllegalArgumentException.class,
        () -> TorchLoss.forward(TorchBatch.of(logits, Tensors.longs(new long[] {1, 4}, 2),
            offsets), SPEC));
    assertTrue(oob.getMessage().contains("target"), oob.getMessage());
  }

  @Test
  void causalBatchShiftsTargetsWithoutTouchingLogits() {
    Problem p = new Problem(6, 3, 5, 23);
    long[] tokens = new long[p.b * p.t];
    SplittableRandom rnd = new SplittableRandom(60);
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = rnd.nextInt(p.v);
    }
    tokens[1] = -100; // a masked prompt token stays ignored after the shift
    long[] shifted = new long[tokens.length];
    for (int s = 0; s < p.b; s++) {
      for (int t = 0; t < p.t; t++) {
        shifted[s * p.t + t] = t + 1 < p.t ? tokens[s * p.t + t + 1] : -100;
      }
    }
    Tensor logits = Tensors.floats(p.z, p.b, p.t, p.v);
    TorchBatch batch = TorchBatch.causal(logits, Tensors.longs(tokens, p.b, p.t), -100);
    assertArrayEquals(shifted, Tensors.toLongs(batch.targets()));
    assertEquals(logits.data_ptr().address(), batch.nativeBatch().logitsAddress(), "no copy");
    SampleStats ref = FusedLoss.forward(p.z, p.v, Tensors.toInts(shifted), p.offsets(), SPEC);
    TorchStats st = TorchLoss.forward(batch, SPEC);
    assertSameStats(ref, st);
    assertEquals(p.t - 2, Tensors.toLongs(st.tokenCount())[0], "last row and masked token skipped");
  }

  @Test
  void bf16LogitsMatchTheHeapBf16Path() {
    Problem p = new Problem(7, 2, 3, 40);
    Tensor bf = Tensors.floats(p.z, p.b, p.t, p.v).to(new org.bytedeco.pytorch.Device("cpu"),
        ScalarType.BFloat16);
    short[] bits = new short[p.z.length];
    new org.bytedeco.javacpp.ShortPointer(bf.data_ptr()).get(bits);
    SampleStats ref = FusedLoss.forward(bits, p.v, Tensors.toInts(p.y), p.offsets(), SPEC);
    assertSameStats(ref, TorchLoss.forward(TorchBatch.padded(bf, Tensors.longs(p.y, p.b, p.t)),
        SPEC));
  }

  @Test
  void stepWritesTheGradientIntoAutograd() {
    Problem p = new Problem(8, 2, 4, 17);
    float[] refGrad = new float[p.z.length];
    LossResult ref = p.heapForwardBackward(refGrad);
    for (boolean inPlace : new boolean[] {true, false}) {
      Tensor leaf = Tensors.floats(p.z, p.b, p.t, p.v).set_requires_grad(true);
      // A non-leaf, as a model's logits are: grad must flow back to the leaf through autograd.
      Tensor logits = leaf.mul(new org.bytedeco.pytorch.Scalar(1.0f));
      TorchResult r = TorchLoss.step(TorchBatch.padded(logits, Tensors.longs(p.y, p.b, p.t)), p.c,
          SPEC, inPlace);
      assertEquals(ref.total(), r.total(), 0.0);
      assertArrayEquals(refGrad, Tensors.toFloats(leaf.grad()), "leaf.grad, inPlace=" + inPlace);
    }
    Tensor plain = Tensors.floats(p.z, p.b, p.t, p.v);
    assertRejected("logits does not require grad", () -> TorchLoss.step(
        TorchBatch.padded(plain, Tensors.longs(p.y, p.b, p.t)), p.c, SPEC));
  }

  @Test
  void twoPhaseStepFromForwardStatsWritesTheGradientIntoAutograd() {
    Problem p = new Problem(9, 3, 5, 13);
    // Compared with the heap two-phase path (bit-identical), as in the test above.
    float[] refGrad = new float[p.z.length];
    int[] y = Tensors.toInts(p.y);
    SampleStats refStats = FusedLoss.forward(p.z, p.v, y, p.offsets(), SPEC);
    FusedLoss.backward(p.z, p.v, y, p.offsets(), refStats, p.c, SPEC, refGrad);
    Tensor leaf = Tensors.floats(p.z, p.b, p.t, p.v).set_requires_grad(true);
    Tensor logits = leaf.mul(new org.bytedeco.pytorch.Scalar(1.0f));
    TorchBatch batch = TorchBatch.padded(logits, Tensors.longs(p.y, p.b, p.t));
    TorchStats st = TorchLoss.forward(batch, SPEC);
    TorchLoss.step(batch, st, p.c, SPEC);
    assertArrayEquals(refGrad, Tensors.toFloats(leaf.grad()), "leaf.grad");
    Tensor plain = Tensors.floats(p.z, p.b, p.t, p.v);
    TorchBatch plainBatch = TorchBatch.padded(plain, Tensors.longs(p.y, p.b, p.t));
    TorchStats plainStats = TorchLoss.forward(plainBatch, SPEC);
    assertRejected("logits does not require grad",
        () -> TorchLoss.step(plainBatch, plainStats, p.c, SPEC));
  }

  @Test
  void emptyBatchIsFine() {
    Tensor logits = Tensors.floats(new float[0], 0, 11);
    TorchBatch batch = TorchBatch.of(logits, Tensors.longs(new long[0], 0),
        Tensors.longs(new long[] {0, 0}, 2));
    TorchStats st = TorchLoss.forward(batch, SPEC.toBuilder().normalizer(1.0).build());
    assertArrayEquals(new float[] {0f}, Tensors.toFloats(st.loss()));
    assertArrayEquals(new long[] {0L}, Tensors.toLongs(st.tokenCount()));
  }

  /**
   * Asserts an IllegalArgumentException whose message starts with {@code prefix}: the argument it
   * names comes first (docs/style.md §3).
   */
  private static void assertRejected(String prefix, Executable body) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, body);
    assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
  }
}
