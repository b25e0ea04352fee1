package dev.reweigh;

import static dev.reweigh.testkit.Rejects.assertIae;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.Test;

/**
 * The Java API's entry points that the reference grid does not reach: every NativeBatch and
 * NativeGrad bound at its edge (exactly enough elements passes, one fewer fails), pointer
 * positions, the pointer-API backward overloads, the bf16 heap backward, all seven native output
 * buffers, and the heap result accessors. Numbers come from the heap API on the same data (itself
 * checked against the float64 reference) or by hand.
 */
class ApiPathsTest {

  /** Two classes, logits [0, ln 3], target 1: p = [1/4, 3/4] (HandWorkedTest). */
  @Test
  void sampleStatsAccessorsByHand() {
    float ln3 = (float) Math.log(3);
    SampleStats st = FusedLoss.forward(new float[] {0f, ln3, ln3, 0f}, 2, new int[] {1, 1},
        new int[] {0, 1, 2, 2}, LossSpec.defaults());
    assertEquals(3, st.samples());
    assertEquals(2, st.rows());
    // sample 0: row 0 (loss -ln 3/4); sample 1: row 1 (target 1 at p = 1/4: loss ln 4); sample 2
    // empty.
    assertArrayEquals(new double[] {-Math.log(0.75), Math.log(4), 0}, st.losses(), 1e-6);
    assertArrayEquals(new double[] {Math.log(0.75), Math.log(0.25), 0}, st.logProbSums(), 1e-6);
    double h = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
    assertArrayEquals(new double[] {h, h, 0}, st.meanEntropies(), 1e-6);
    assertArrayEquals(new int[] {1, 1, 0}, st.tokenCounts());
    assertArrayEquals(new float[] {(float) Math.log(0.75), (float) Math.log(0.25)}, st.rowLogp(),
        1e-6f);
    assertArrayEquals(new float[] {(float) h, (float) h}, st.rowEntropy(), 1e-6f);
    assertArrayEquals(new float[] {(float) Math.log(4), (float) Math.log(4)}, st.rowLse(), 1e-6f);
    // Copies: the caller cannot change the result.
    st.rowLse()[0] = 99f;
    assertEquals(Math.log(4), st.rowLse()[0], 1e-6);
    assertTrue(st.toString().startsWith("SampleStats{loss=["), st.toString());
    LossResult r = FusedLoss.forwardBackward(new float[] {0f, ln3}, 2, new int[] {1},
        new int[] {0, 1}, new float[] {1f}, LossSpec.defaults(), new float[2]);
    assertTrue(r.toString().startsWith("LossResult{total=0.287682"), r.toString());
  }

  @Test
  void typeSizesAndNativeExceptionStatus() {
    assertEquals(4, DType.F32.bytes());
    assertEquals(2, DType.BF16.bytes());
    assertEquals(2, DType.F16.bytes());
    assertEquals(4, IndexType.I32.bytes());
    assertEquals(8, IndexType.I64.bytes());
    ReweighNativeException e = new ReweighNativeException("INTERNAL", "boom");
    assertEquals("INTERNAL", e.status());
    assertEquals("INTERNAL: boom", e.getMessage());
  }

  @Test
  void nativeBatchBoundsAtTheirEdges() {
    int rows = 3;
    int vocab = 5;
    long stride = 7;
    long needed = (rows - 1) * stride + vocab; // 19
    try (FloatPointer exact = new FloatPointer(needed);
        FloatPointer short1 = new FloatPointer(needed - 1);
        IntPointer t = new IntPointer(rows);
        IntPointer tShort = new IntPointer(rows - 1);
        IntPointer o = new IntPointer(new int[] {0, 2, 3});
        IntPointer oShort = new IntPointer(new int[] {0, 3})) {
      NativeBatch b = NativeBatch.builder().logits(exact, rows, vocab).rowStride(stride).targets(t)
          .offsets(o, 2).stream(0).device(Device.CPU).build();
      assertEquals(rows, b.rows());
      assertEquals(vocab, b.vocab());
      assertEquals(stride, b.rowStride());
      assertEquals(2, b.samples());
      assertEquals(DType.F32, b.dtype());
      assertEquals(Device.CPU, b.device());
      assertEquals(0, b.stream());
      assertEquals(exact.address(), b.logitsAddress());
      assertIae(() -> NativeBatch.builder().logits(short1, rows, vocab).rowStride(stride).targets(t)
          .offsets(o, 2).build(), "logits pointer holds 18 elements", "needs 19");
      assertIae(() -> NativeBatch.builder().logits(exact, rows, vocab).rowStride(stride)
          .targets(tShort).offsets(o, 2).build(), "targets pointer holds 2", "needs 3");
      assertIae(() -> NativeBatch.builder().logits(exact, rows, vocab).rowStride(stride).targets(t)
          .offsets(oShort, 2).build(), "offsets pointer holds 2", "needs 3");
      assertIae(() -> NativeBatch.builder().logits(exact, rows, vocab).rowStride(vocab - 1)
          .targets(t).offsets(o, 2).build(), "rowStride = 4 is smaller than vocab = 5");
      // rowStride == vocab is allowed.
      assertEquals(vocab, NativeBatch.builder().logits(exact, rows, vocab).rowStride(vocab)
          .targets(t).offsets(o, 2).build().rowStride());
      assertIae(() -> NativeBatch.builder().logits(exact, -1, vocab).targets(t).offsets(o, 2)
          .build(), "rows = -1");
      assertIae(() -> NativeBatch.builder().logits(exact, rows, 0).targets(t).offsets(o, 2)
          .build(), "vocab = 0");
      assertIae(() -> NativeBatch.builder().logits(exact, rows, vocab).targets(t).offsets(o, -1)
          .build(), "samples = -1");
      assertIae(() -> NativeBatch.builder().logits(0L, DType.F32, rows, vocab)
          .targets(t).offsets(o, 2).build(), "logits address is 0");
      assertIae(() -> NativeBatch.builder().logits(exact, rows, vocab)
          .targets(0L, IndexType.I32).offsets(o, 2).build(), "targets address is 0");
      assertIae(() -> NativeBatch.builder().logits(exact, rows, vocab).targets(t)
          .offsets(0L, IndexType.I32, 2).build(), "offsets address is 0");
      // An empty batch needs no logits or targets, only offsets; vocab 1 and 0 samples are valid.
      NativeBatch empty = NativeBatch.builder().logits(0L, DType.F32, 0, 1)
          .targets(0L, IndexType.I64).offsets(o, 0).build();
      assertEquals(0, empty.rows());
      assertEquals(1, empty.vocab());
    }
  }

  @Test
  void nativeGradBoundsAtTheirEdges() {
    TestBatch b = TestBatch.random(31, 3, 5, 2.0, false);
    long stride = 6;
    long needed = 2 * stride + 5; // 17
    try (FloatPointer z = new FloatPointer(b.logits);
        IntPointer t = new IntPointer(b.targets);
        IntPointer o = new IntPointer(b.offsets);
        FloatPointer exact = new FloatPointer(needed);
        FloatPointer short1 = new FloatPointer(needed - 1)) {
      NativeBatch batch = NativeBatch.builder().logits(z, 3, 5).targets(t)
          .offsets(o, b.samples()).build();
      FusedLoss.forwardBackward(batch, b.coefficients, LossSpec.defaults(),
          NativeGrad.of(exact, stride));
      assertIae(() -> FusedLoss.forwardBackward(batch, b.coefficients, LossSpec.defaults(),
          NativeGrad.of(short1, stride)), "grad pointer holds 16", "needs 17");
      assertIae(() -> FusedLoss.forwardBackward(batch, b.coefficients, LossSpec.defaults(),
          NativeGrad.of(exact, 4)), "grad rowStride = 4 is smaller than vocab = 5");
      // The gradient landed at row stride 6: element (r, v) at r * 6 + v equals the heap result.
      float[] heap = new float[15];
      FusedLoss.forwardBackward(b.logits, 5, b.targets, b.offsets, b.coefficients,
          LossSpec.defaults(), heap);
      for (int r = 0; r < 3; r++) {
        for (int v = 0; v < 5; v++) {
          assertEquals(heap[r * 5 + v], exact.get(r * stride + v), 0, "(" + r + ", " + v + ")");
        }
      }
    }
  }

  /** A positioned pointer starts at its position: rows 1..2 of a 3-row buffer. */
  @Test
  void pointerPositionsSelectTheirElements() {
    TestBatch b = TestBatch.random(32, 3, 6, 2.0, false);
    int[] targets = {b.targets[1] == -100 ? 0 : b.targets[1], b.targets[2] == -100 ? 1 : b.targets[2]};
    float[] tail = java.util.Arrays.copyOfRange(b.logits, 6, 18);
    SampleStats heap = FusedLoss.forward(tail, 6, targets, new int[] {0, 2}, LossSpec.defaults());
    try (FloatPointer z = new FloatPointer(b.logits);
        IntPointer t = new IntPointer(new int[] {-7, targets[0], targets[1]});
        LongPointer o = new LongPointer(new long[] {-9, 0, 2})) {
      z.position(6);
      t.position(1);
      o.position(1);
      NativeBatch batch = NativeBatch.builder().logits(z, 2, 6).targets(t).offsets(o, 1).build();
      SampleStats st = FusedLoss.forward(batch, LossSpec.defaults());
      assertEquals(heap.loss(0), st.loss(0), 0);
      assertArrayEquals(heap.rowLse(), st.rowLse(), 0f);
      // One element too few after the position.
      assertIae(() -> NativeBatch.builder().logits(z, 3, 6).targets(t).offsets(o, 1).build(),
          "logits pointer holds 12", "needs 18");
    }
  }

  /** Every pointer-API overload and all seven native outputs agree with the heap API. */
  @Test
  void pointerOverloadsAndAllOutputsMatchTheHeapApi() {
    TestBatch b = TestBatch.random(33, 7, 11, 2.0, false);
    LossSpec spec = LossSpec.builder().labelSmoothing(0.1f).build();
    int rows = b.rows;
    int samples = b.samples();
    float[] heapGrad = new float[b.logits.length];
    LossResult heap = FusedLoss.forwardBackward(b.logits, 11, b.targets, b.offsets,
        b.coefficients, spec, heapGrad);
    try (FloatPointer z = new FloatPointer(b.logits);
        IntPointer t = new IntPointer(b.targets);
        IntPointer o = new IntPointer(b.offsets);
        FloatPointer c = new FloatPointer(b.coefficients);
        FloatPointer g = new FloatPointer(b.logits.length);
        FloatPointer loss = new FloatPointer(samples);
        FloatPointer logp = new FloatPointer(samples);
        LongPointer count = new LongPointer(samples);
        FloatPointer ent = new FloatPointer(samples);
        FloatPointer lse = new FloatPointer(rows);
        FloatPointer rowLogp = new FloatPointer(rows);
        FloatPointer rowEnt = new FloatPointer(rows);
        DoublePointer total = new DoublePointer(1)) {
      NativeBatch batch = NativeBatch.builder().logits(z, rows, 11).targets(t).offsets(o, samples)
          .build();
      NativeStats out = NativeStats.builder().loss(loss.address()).logProbSum(logp.address())
          .tokenCount(count.address()).meanEntropy(ent.address()).rowLse(lse.address())
          .rowLogp(rowLogp.address()).rowEntropy(rowEnt.address()).build();
      FusedLoss.forwardBackward(batch, c.address(), spec, NativeGrad.of(g, 11), out,
          total.address());
      assertEquals(heap.total(), total.get(), 0);
      SampleStats hs = heap.stats();
      for (int s = 0; s < samples; s++) {
        assertEquals(hs.loss(s), loss.get(s), 0);
        assertEquals(hs.logProbSum(s), logp.get(s), 0);
        assertEquals(hs.tokenCount(s), count.get(s));
        assertEquals(hs.meanEntropy(s), ent.get(s), 0);
      }
      for (int r = 0; r < rows; r++) {
        assertEquals(hs.rowLse()[r], lse.get(r), 0);
        assertEquals(hs.rowLogp()[r], rowLogp.get(r), 0);
        assertEquals(hs.rowEntropy()[r], rowEnt.get(r), 0);
      }
      float[] got = new float[b.logits.length];
      g.get(got);
      assertArrayEquals(heapGrad, got, 0f);

      // backward(batch, SampleStats, float[], ...) and backward(batch, lse, coefficients, ...).
      FloatPointer g2 = new FloatPointer(b.logits.length);
      FusedLoss.backward(batch, FusedLoss.forward(batch, spec), b.coefficients, spec,
          NativeGrad.of(g2, 11));
      float[] got2 = new float[got.length];
      g2.get(got2);
      float[] heapTwoPhase = new float[got.length];
      FusedLoss.backward(b.logits, 11, b.targets, b.offsets, hs, b.coefficients, spec,
          heapTwoPhase);
      assertArrayEquals(heapTwoPhase, got2, 0f);
      FloatPointer g3 = new FloatPointer(b.logits.length);
      FusedLoss.backward(batch, lse.address(), c.address(), spec, NativeGrad.of(g3, 11));
      float[] got3 = new float[got.length];
      g3.get(got3);
      assertArrayEquals(heapTwoPhase, got3, 0f);
      g2.close();
      g3.close();

      // Rejections on these overloads, before any native work.
      float[] nan = b.coefficients.clone();
      nan[0] = Float.NaN;
      assertIae(() -> FusedLoss.backward(batch, hs, nan, spec, NativeGrad.of(g, 11)),
          "coefficients[0]");
      assertIae(() -> FusedLoss.backward(batch, hs, new float[samples + 1], spec,
          NativeGrad.of(g, 11)), "coefficients");
      assertIae(() -> FusedLoss.backward(batch, null, b.coefficients, spec, NativeGrad.of(g, 11)),
          "stats is null");
      SampleStats other = FusedLoss.forward(new float[11], 11, new int[] {0}, new int[] {0, 1},
          spec);
      assertIae(() -> FusedLoss.backward(batch, other, b.coefficients, spec, NativeGrad.of(g, 11)),
          "stats has 1 rows but the batch has " + rows);
      assertIae(() -> FusedLoss.backward(batch, 0L, c.address(), spec, NativeGrad.of(g, 11)),
          "rowLse address is 0");
      assertIae(() -> FusedLoss.backward(batch, lse.address(), 0L, spec, NativeGrad.of(g, 11)),
          "coefficients address is 0");
      assertIae(() -> FusedLoss.forwardBackward(batch, 0L, spec, NativeGrad.of(g, 11), out, 0L),
          "coefficients address is 0");
      assertIae(() -> FusedLoss.forwardBackward(batch, c.address(), spec, NativeGrad.of(g, 11),
          null, 0L), "out is null");
      assertIae(() -> FusedLoss.forward(null, spec), "batch is null");
      assertIae(() -> FusedLoss.forward(batch, null), "spec is null");
      assertIae(() -> FusedLoss.forwardBackward(batch, c.address(), spec, null, out, 0L),
          "grad is null");
      NativeBatch onGpu = NativeBatch.builder().logits(z, rows, 11).targets(t).offsets(o, samples)
          .device(Device.cuda(0)).build();
      assertIae(() -> FusedLoss.forward(onGpu, spec), "batch lives on cuda:0");
      assertIae(() -> FusedLoss.backward(onGpu, hs, b.coefficients, spec, NativeGrad.of(g, 11)),
          "batch lives on cuda:0");
      // A NaN coefficient in native memory is rejected by the library, named, nothing written.
      try (FloatPointer cn = new FloatPointer(nan)) {
        float before = g.get(0);
        assertIae(() -> FusedLoss.forwardBackward(batch, cn.address(), spec, NativeGrad.of(g, 11),
            out, 0L), "coefficients[0]");
        assertEquals(before, g.get(0), 0);
        assertIae(() -> FusedLoss.backward(batch, lse.address(), cn.address(), spec,
            NativeGrad.of(g, 11)), "coefficients[0]");
      }
    }
  }

  /** The bf16 heap backward equals the gradient of the bf16 forwardBackward on the same batch. */
  @Test
  void bf16HeapBackwardMatchesForwardBackward() {
    TestBatch b = TestBatch.random(34, 6, 13, 2.0, false);
    short[] bf = new short[b.logits.length];
    for (int i = 0; i < bf.length; i++) {
      bf[i] = (short) (Float.floatToRawIntBits(b.logits[i]) >>> 16); // exact bf16 values
    }
    LossSpec spec = LossSpec.defaults();
    short[] fused = new short[bf.length];
    LossResult r = FusedLoss.forwardBackward(bf, 13, b.targets, b.offsets, b.coefficients, spec,
        fused);
    SampleStats st = FusedLoss.forward(bf, 13, b.targets, b.offsets, spec);
    assertArrayEquals(r.stats().losses(), st.losses(), 0);
    short[] twoPhase = new short[bf.length];
    FusedLoss.backward(bf, 13, b.targets, b.offsets, st, b.coefficients, spec, twoPhase);
    int differ = 0;
    for (int i = 0; i < bf.length; i++) {
      float f = Float.intBitsToFloat(fused[i] << 16);
      float s = Float.intBitsToFloat(twoPhase[i] << 16);
      // p from exp(z - m) / d or exp(z - lse): at most one bf16 rounding apart.
      assertEquals(f, s, Math.abs(f) / 128 + 1e-30, "element " + i);
      differ += fused[i] != twoPhase[i] ? 1 : 0;
    }
    assertTrue(differ < bf.length / 4, differ + " of " + bf.length + " differ");
    assertIae(() -> FusedLoss.backward(bf, 13, b.targets, b.offsets, st, b.coefficients, spec,
        new short[bf.length - 1]), "grad");
    assertNotEquals(0, r.total());
  }
  /**
   * The Java-side checks name the argument with its expected size, before the library is called
   * (the library checks again, with its own words).
   */
  @Test
  void heapChecksNameTheArgumentAndItsExpectedSize() {
    TestBatch b = TestBatch.random(35, 4, 5, 2.0, false);
    LossSpec spec = LossSpec.defaults();
    int samples = b.samples();
    SampleStats st = FusedLoss.forward(b.logits, 5, b.targets, b.offsets, spec);
    float[] longer = new float[samples + 1];
    java.util.Arrays.fill(longer, 1f);
    String coeffMsg = "coefficients.length = " + (samples + 1) + " must equal the number of samples = "
        + samples;
    assertIae(() -> FusedLoss.backward(b.logits, 5, b.targets, b.offsets, st, longer, spec,
        new float[20]), coeffMsg);
    assertIae(() -> FusedLoss.backward(b.logits, 5, b.targets, b.offsets, st, b.coefficients, spec,
        new float[21]), "grad.length = 21 must equal logits.length = 20");
    assertIae(() -> FusedLoss.forwardBackward(b.logits, 5, b.targets, b.offsets, b.coefficients,
        spec, new float[19]), "grad.length = 19 must equal logits.length = 20");
    SampleStats oneRow = FusedLoss.forward(new float[5], 5, new int[] {0}, new int[] {0, 1}, spec);
    assertIae(() -> FusedLoss.backward(b.logits, 5, b.targets, b.offsets, oneRow, b.coefficients,
        spec, new float[20]), "stats has 1 rows but the batch has 4");
    short[] bf = new short[20];
    assertIae(() -> FusedLoss.backward(bf, 5, b.targets, b.offsets, oneRow, b.coefficients, spec,
        new short[20]), "stats has 1 rows but the batch has 4");
    assertIae(() -> FusedLoss.backward(bf, 5, b.targets, b.offsets, st, longer, spec,
        new short[20]), coeffMsg);
    assertIae(() -> FusedLoss.backward(bf, 5, b.targets, b.offsets, st, b.coefficients, spec,
        new short[19]), "grad.length = 19 must equal logits.length = 20");
    try (FloatPointer z = new FloatPointer(b.logits);
        IntPointer t = new IntPointer(b.targets);
        IntPointer o = new IntPointer(b.offsets);
        FloatPointer g = new FloatPointer(20);
        FloatPointer lse = new FloatPointer(4);
        FloatPointer c = new FloatPointer(b.coefficients)) {
      NativeBatch batch = NativeBatch.builder().logits(z, 4, 5).targets(t).offsets(o, samples)
          .build();
      NativeGrad grad = NativeGrad.of(g, 5);
      assertIae(() -> FusedLoss.forwardBackward(batch, longer, spec, grad), coeffMsg);
      assertIae(() -> FusedLoss.backward(batch, st, longer, spec, grad), coeffMsg);
      assertIae(() -> FusedLoss.backward(batch, st, b.coefficients, spec, null), "grad is null");
      assertIae(() -> FusedLoss.forwardBackward(batch, b.coefficients, spec, null), "grad is null");
      NativeStats out = NativeStats.builder().loss(0L).build();
      assertIae(() -> FusedLoss.forward(null, spec, out), "batch is null");
      assertIae(() -> FusedLoss.forwardBackward(null, c.address(), spec, grad, out, 0L),
          "batch is null");
      assertIae(() -> FusedLoss.forwardBackward(batch, c.address(), spec, null, out, 0L),
          "grad is null");
      assertIae(() -> FusedLoss.backward(null, lse.address(), c.address(), spec, grad),
          "batch is null");
      assertIae(() -> FusedLoss.backward(batch, lse.address(), c.address(), spec, null),
          "grad is null");
      NativeBatch onGpu = NativeBatch.builder().logits(z, 4, 5).targets(t).offsets(o, samples)
          .device(Device.cuda(0)).stream(5).build();
      assertEquals(5, onGpu.stream());
      assertIae(() -> FusedLoss.forwardBackward(onGpu, b.coefficients, spec, grad),
          "batch lives on cuda:0");
    }
  }

  /**
   * Zero rows and zero samples are valid everywhere: address 0 is fine where nothing is read. (D =
   * 1 under NONE, so no normaliser question arises.)
   */
  @Test
  void emptyBatchesAreValid() {
    LossSpec spec = LossSpec.builder().normalization(Normalization.NONE).build();
    SampleStats st = FusedLoss.forward(new float[0], 3, new int[0], new int[] {0}, spec);
    assertEquals(0, st.samples());
    assertEquals(0, st.rows());
    FusedLoss.backward(new float[0], 3, new int[0], new int[] {0}, st, new float[0], spec,
        new float[0]);
    try (IntPointer o = new IntPointer(new int[] {0});
        FloatPointer g = new FloatPointer(1)) {
      NativeBatch empty = NativeBatch.builder().logits(0L, DType.F32, 0, 3)
          .targets(0L, IndexType.I32).offsets(o, 0).build();
      NativeStats out = NativeStats.builder().build();
      FusedLoss.forwardBackward(empty, 0L, spec, NativeGrad.of(g, 3), out, 0L);
      FusedLoss.backward(empty, 0L, 0L, spec, NativeGrad.of(g, 3));
      FusedLoss.forward(empty, spec, out);
    }
  }

  /** A buffer freed after the batch (or grad) was built is named, not read. */
  @Test
  void deallocatedBuffersAreRejected() {
    TestBatch b = TestBatch.random(36, 2, 4, 2.0, false);
    LossSpec spec = LossSpec.defaults();
    String[] names = {"logits", "targets", "offsets"};
    for (int which = 0; which < 3; which++) {
      FloatPointer z = new FloatPointer(b.logits);
      IntPointer t = new IntPointer(b.targets);
      IntPointer o = new IntPointer(b.offsets);
      FloatPointer g = new FloatPointer(8);
      NativeBatch batch = NativeBatch.builder().logits(z, 2, 4).targets(t)
          .offsets(o, b.samples()).build();
      NativeGrad grad = NativeGrad.of(g, 4);
      NativeGrad inPlace = NativeGrad.inPlace(batch);
      (which == 0 ? z : which == 1 ? t : o).close();
      String msg = names[which] + " pointer was deallocated after the batch was built";
      assertIae(() -> FusedLoss.forward(batch, spec), msg);
      assertIae(() -> FusedLoss.forwardBackward(batch, b.coefficients, spec, grad), msg);
      if (which == 0) {
        // In place, the logits are the grad: the grad check names them too.
        assertIae(() -> FusedLoss.backward(batch, 0L, 0L, spec, inPlace), msg);
      }
      g.close();
      if (which != 0) {
        z.close();
      }
      t.close();
      o.close();
    }
    try (FloatPointer z = new FloatPointer(b.logits);
        IntPointer t = new IntPointer(b.targets);
        IntPointer o = new IntPointer(b.offsets)) {
      NativeBatch batch = NativeBatch.builder().logits(z, 2, 4).targets(t)
          .offsets(o, b.samples()).build();
      FloatPointer g = new FloatPointer(8);
      NativeGrad grad = NativeGrad.of(g, 4);
      g.close();
      assertIae(() -> FusedLoss.forwardBackward(batch, b.coefficients, spec, grad),
          "grad pointer was deallocated after the NativeGrad was made");
    }
  }

  /** A pointer's limit bounds what the batch may read, like its capacity. */
  @Test
  void pointerLimitBoundsTheBatch() {
    try (FloatPointer z = new FloatPointer(20);
        IntPointer t = new IntPointer(2);
        IntPointer o = new IntPointer(new int[] {0, 2})) {
      z.limit(9);
      assertIae(() -> NativeBatch.builder().logits(z, 2, 5).targets(t).offsets(o, 1).build(),
          "logits pointer holds 9", "needs 10");
      z.limit(10);
      assertEquals(2, NativeBatch.builder().logits(z, 2, 5).targets(t).offsets(o, 1).build()
          .rows());
      FloatPointer g = new FloatPointer(20);
      g.limit(9);
      NativeBatch batch = NativeBatch.builder().logits(z, 2, 5).targets(t).offsets(o, 1).build();
      assertIae(() -> FusedLoss.forwardBackward(batch, new float[] {1f}, LossSpec.defaults(),
          NativeGrad.of(g, 5)), "grad pointer holds 9", "needs 10");
      g.close();
    }
  }
}
