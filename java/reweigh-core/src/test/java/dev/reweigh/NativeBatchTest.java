package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.reweigh.testkit.Bf16;
import dev.reweigh.testkit.OptionGrid;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.Test;

/** The zero-copy pointer path gives exactly the heap path's results. */
class NativeBatchTest {

  @Test
  void pointerPathEqualsHeapPathWithInt64TargetsAndRowStride() {
    TestBatch b = TestBatch.random(3, 45, 777, 3.0, true);
    LossSpec spec = OptionGrid.kernel("all+explicit").spec();
    float[] heapGrad = new float[b.logits.length];
    LossResult heap = FusedLoss.forwardBackward(
        b.logits, b.vocab, b.targets, b.offsets, b.coefficients, spec, heapGrad);

    // The same logits inside a wider buffer (row stride 800), targets as int64, offsets int64.
    int stride = 800;
    FloatPointer wide = new FloatPointer((long) b.rows * stride);
    for (int r = 0; r < b.rows; r++) {
      wide.position((long) r * stride).put(b.logits, r * b.vocab, b.vocab);
    }
    wide.position(0);
    long[] t64 = new long[b.rows];
    for (int r = 0; r < b.rows; r++) {
      t64[r] = b.targets[r];
    }
    long[] o64 = new long[b.offsets.length];
    for (int s = 0; s < o64.length; s++) {
      o64[s] = b.offsets[s];
    }
    LongPointer targets = new LongPointer(t64);
    LongPointer offsets = new LongPointer(o64);
    try {
      NativeBatch batch = NativeBatch.builder().logits(wide, b.rows, b.vocab).rowStride(stride)
          .targets(targets).offsets(offsets, b.samples()).build();
      SampleStats st = FusedLoss.forward(batch, spec);
      assertArrayEquals(heap.stats().losses(), st.losses(), 0.0);
      FloatPointer grad = new FloatPointer((long) b.rows * b.vocab);
      LossResult r = FusedLoss.forwardBackward(batch, b.coefficients, spec,
          NativeGrad.of(grad, b.vocab));
      assertEquals(heap.total(), r.total(), 0.0);
      float[] g = new float[b.rows * b.vocab];
      grad.get(g);
      assertArrayEquals(heapGrad, g);
      // In place over the strided buffer: row r's gradient lands at r * stride.
      LossResult r2 = FusedLoss.forwardBackward(batch, b.coefficients, spec, NativeGrad.inPlace(batch));
      assertEquals(heap.total(), r2.total(), 0.0);
      float[] row = new float[b.vocab];
      for (int rr = 0; rr < b.rows; rr++) {
        wide.position((long) rr * stride).get(row);
        for (int v = 0; v < b.vocab; v++) {
          assertEquals(heapGrad[rr * b.vocab + v], row[v], 0f, "row " + rr + " col " + v);
        }
      }
      wide.position(0);
      grad.deallocate();
    } finally {
      wide.deallocate();
      targets.deallocate();
      offsets.deallocate();
    }
  }

  @Test
  void nativeStatsOutputsMatchHeapResults() {
    TestBatch b = TestBatch.random(9, 20, 301, 2.0, false);
    LossSpec spec = LossSpec.defaults();
    SampleStats heap = FusedLoss.forward(b.logits, b.vocab, b.targets, b.offsets, spec);
    FloatPointer lg = new FloatPointer(b.logits);
    IntPointer tg = new IntPointer(b.targets);
    IntPointer off = new IntPointer(b.offsets);
    FloatPointer loss = new FloatPointer(b.samples());
    LongPointer count = new LongPointer(b.samples());
    FloatPointer lse = new FloatPointer(b.rows);
    try {
      NativeBatch batch =
          NativeBatch.builder().logits(lg, b.rows, b.vocab).targets(tg).offsets(off, b.samples())
              .build();
      FusedLoss.forward(batch, spec, NativeStats.builder().loss(loss.address())
          .tokenCount(count.address()).rowLse(lse.address()).build());
      for (int s = 0; s < b.samples(); s++) {
        assertEquals(heap.loss(s), loss.get(s), 0.0);
        assertEquals(heap.tokenCount(s), count.get(s));
      }
      float[] rowLse = new float[b.rows];
      lse.get(rowLse);
      assertArrayEquals(heap.rowLse(), rowLse);
    } finally {
      lg.deallocate();
      tg.deallocate();
      off.deallocate();
      loss.deallocate();
      count.deallocate();
      lse.deallocate();
    }
  }

  @Test
  void bf16PointerEqualsBf16Heap() {
    TestBatch b = TestBatch.random(4, 8, 129, 2.0, false);
    short[] bf = new short[b.logits.length];
    for (int i = 0; i < bf.length; i++) {
      bf[i] = Bf16.bits(b.logits[i]);
    }
    SampleStats heap = FusedLoss.forward(bf, b.vocab, b.targets, b.offsets, LossSpec.defaults());
    ShortPointer p = new ShortPointer(bf);
    IntPointer tg = new IntPointer(b.targets);
    IntPointer off = new IntPointer(b.offsets);
    try {
      SampleStats st = FusedLoss.forward(NativeBatch.builder().logitsBf16(p, b.rows, b.vocab)
          .targets(tg).offsets(off, b.samples()).build(), LossSpec.defaults());
      assertArrayEquals(heap.losses(), st.losses(), 0.0);
    } finally {
      p.deallocate();
      tg.deallocate();
      off.deallocate();
    }
  }

  @Test
  void cudaBatchWithoutCudaIsRejectedCleanly() {
    FloatPointer lg = new FloatPointer(4);
    IntPointer tg = new IntPointer(new int[] {0, 1});
    IntPointer off = new IntPointer(new int[] {0, 2});
    try {
      NativeBatch batch = NativeBatch.builder().logits(lg, 2, 2).targets(tg).offsets(off, 1)
          .device(Device.cuda(0)).build();
      assertThrows(IllegalArgumentException.class,
          () -> FusedLoss.forward(batch, LossSpec.defaults()));
      FloatPointer loss = new FloatPointer(1);
      RuntimeException e = assertThrows(RuntimeException.class, () -> FusedLoss.forward(batch,
          LossSpec.defaults(), NativeStats.builder().loss(loss.address()).build()));
      // No GPU here: either this build has no CUDA kernels (unsupported) or the host pointers
      // are rejected as not being device memory (invalid argument). Never a crash.
      org.junit.jupiter.api.Assertions.assertTrue(
          e instanceof UnsupportedOperationException || e instanceof IllegalArgumentException,
          e.toString());
      loss.deallocate();
    } finally {
      lg.deallocate();
      tg.deallocate();
      off.deallocate();
    }
  }
}
