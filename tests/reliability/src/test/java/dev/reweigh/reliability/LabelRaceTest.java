package dev.reweigh.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.FusedLoss;
import dev.reweigh.LossResult;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeBatch;
import dev.reweigh.NativeGrad;
import dev.reweigh.SampleStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.junit.jupiter.api.Test;

/**
 * Targets and offsets that another thread rewrites during a call (a pinned heap array written by
 * another Java thread, or native labels a data loader refills too early). Writer threads keep
 * flipping them to out-of-range values and back while 10,000 calls run through the heap and the
 * pointer API, in place and not. The library reads them once (docs/design.md §3), so each call
 * either returns exactly the result of the valid input (the only consistent input here: every
 * flipped value is out of range) or throws IllegalArgumentException naming targets or offsets; the
 * JVM never crashes on an out-of-range index.
 */
class LabelRaceTest {
  private static final int ROWS = 48;
  private static final int V = 384;
  private static final int[] OFFSETS = {0, 5, 5, 20, 33, 48};
  private static final int CALLS = 10_000;
  private static final int CALLERS = 4;

  private static final LossSpec SPEC = LossSpec.defaults();

  @Test
  void labelsRewrittenDuringCallsGiveTheValidResultOrARejection() throws Exception {
    Random rnd = new Random(7);
    float[] logits = new float[ROWS * V];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) (rnd.nextGaussian() * 3);
    }
    int[] targets = new int[ROWS];
    for (int r = 0; r < ROWS; r++) {
      targets[r] = r % 7 == 3 ? -100 : rnd.nextInt(V);
    }
    float[] coefficients = {1f, 0.5f, 2f, 1.5f, 0.25f};
    // Expected results from undisturbed inputs; the kernels are deterministic bit for bit.
    float[] wantGrad = new float[logits.length];
    LossResult want = FusedLoss.forwardBackward(logits, V, targets, OFFSETS, coefficients, SPEC,
        wantGrad);
    // The two-phase backward rounds p differently from the fused pass: its own expected gradient.
    float[] wantBackward = new float[logits.length];
    FusedLoss.backward(logits, V, targets, OFFSETS, want.stats(), coefficients, SPEC,
        wantBackward);

    int[] sharedTargets = targets.clone();
    int[] sharedOffsets = OFFSETS.clone();
    try (FloatPointer pLogits = new FloatPointer(logits);
        IntPointer pTargets = new IntPointer(targets);
        LongPointer pOffsets = new LongPointer(OFFSETS.length)) {
      for (int s = 0; s < OFFSETS.length; s++) {
        pOffsets.put(s, OFFSETS[s]);
      }
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        final int seed = w;
        writers.add(new Thread(() -> {
          Random wr = new Random(100 + seed);
          int[] badTargets = {V, V + 12_345, -7, Integer.MAX_VALUE / 2, Integer.MIN_VALUE};
          long[] badOffsets = {ROWS + 1, -5, Integer.MAX_VALUE / 2, -1_000_000};
          while (!stop.get()) {
            int r = wr.nextInt(ROWS);
            int s = 1 + wr.nextInt(OFFSETS.length - 2); // an inner offset; the ends are checked too
            int bt = badTargets[wr.nextInt(badTargets.length)];
            long bo = badOffsets[wr.nextInt(badOffsets.length)];
            sharedTargets[r] = bt;
            sharedOffsets[s] = (int) bo;
            pTargets.put(r, bt);
            pOffsets.put(s, bo);
            Thread.onSpinWait();
            sharedTargets[r] = targets[r];
            sharedOffsets[s] = OFFSETS[s];
            pTargets.put(r, targets[r]);
            pOffsets.put(s, OFFSETS[s]);
          }
        }));
      }
      AtomicInteger next = new AtomicInteger();
      AtomicInteger rejected = new AtomicInteger();
      List<Thread> callers = new ArrayList<>();
      for (int t = 0; t < CALLERS; t++) {
        callers.add(new Thread(() -> {
          try {
            int i;
            while ((i = next.getAndIncrement()) < CALLS) {
              if (!oneCall(i % 6, logits, sharedTargets, sharedOffsets, coefficients, pLogits,
                  pTargets, pOffsets, want, wantGrad, wantBackward)) {
                rejected.incrementAndGet();
              }
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        }));
      }
      writers.forEach(Thread::start);
      callers.forEach(Thread::start);
      for (Thread c : callers) {
        c.join();
      }
      stop.set(true);
      for (Thread w : writers) {
        w.join();
      }
      if (failure.get() != null) {
        throw new AssertionError("a call under label races went wrong", failure.get());
      }
      // Both outcomes happened: the race was real, and valid snapshots still computed.
      assertTrue(rejected.get() > 0, "no call saw a flipped label: the race never happened");
      assertTrue(rejected.get() < CALLS, "every call was rejected");
    }
  }

  /** One call of kind 0-5; true when it returned the valid result, false when it was rejected. */
  private static boolean oneCall(int kind, float[] logits, int[] targets, int[] offsets,
      float[] coefficients, FloatPointer pLogits, IntPointer pTargets, LongPointer pOffsets,
      LossResult want, float[] wantGrad, float[] wantBackward) {
    try {
      switch (kind) {
        case 0: { // heap, separate grad
          float[] grad = new float[logits.length];
          LossResult r = FusedLoss.forwardBackward(logits, V, targets, offsets, coefficients,
              SPEC, grad);
          same(want, r);
          assertArrayEquals(wantGrad, grad, "heap grad");
          return true;
        }
        case 1: { // heap, in place over a private copy of the logits
          float[] own = logits.clone();
          LossResult r = FusedLoss.forwardBackward(own, V, targets, offsets, coefficients, SPEC,
              own);
          same(want, r);
          assertArrayEquals(wantGrad, own, "heap in-place grad");
          return true;
        }
        case 2: { // heap forward
          sameStats(want.stats(), FusedLoss.forward(logits, V, targets, offsets, SPEC));
          return true;
        }
        case 3: { // pointer, separate grad
          try (FloatPointer grad = new FloatPointer(logits.length)) {
            LossResult r = FusedLoss.forwardBackward(batch(pLogits, pTargets, pOffsets),
                coefficients, SPEC, NativeGrad.of(grad, V));
            same(want, r);
            float[] got = new float[logits.length];
            grad.get(got);
            assertArrayEquals(wantGrad, got, "pointer grad");
          }
          return true;
        }
        case 4: { // pointer, in place over a private copy of the logits
          try (FloatPointer own = new FloatPointer(logits)) {
            NativeBatch b = batch(own, pTargets, pOffsets);
            LossResult r = FusedLoss.forwardBackward(b, coefficients, SPEC, NativeGrad.inPlace(b));
            same(want, r);
            float[] got = new float[logits.length];
            own.get(got);
            assertArrayEquals(wantGrad, got, "pointer in-place grad");
          }
          return true;
        }
        default: { // pointer backward from the valid statistics
          try (FloatPointer grad = new FloatPointer(logits.length)) {
            FusedLoss.backward(batch(pLogits, pTargets, pOffsets), want.stats(), coefficients,
                SPEC, NativeGrad.of(grad, V));
            float[] got = new float[logits.length];
            grad.get(got);
            assertArrayEquals(wantBackward, got, "pointer backward grad");
          }
          return true;
        }
      }
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      assertTrue(m.startsWith("targets[") || m.startsWith("offsets["),
          "a rejection under label races must name targets or offsets: " + m);
      return false;
    }
  }

  private static NativeBatch batch(FloatPointer logits, IntPointer targets, LongPointer offsets) {
    return NativeBatch.builder().logits(logits, ROWS, V).targets(targets)
        .offsets(offsets, OFFSETS.length - 1).build();
  }

  private static void same(LossResult want, LossResult got) {
    assertEquals(want.total(), got.total(), "total");
    assertEquals(want.normalizer(), got.normalizer(), "normalizer");
    sameStats(want.stats(), got.stats());
  }

  private static void sameStats(SampleStats want, SampleStats got) {
    assertArrayEquals(want.losses(), got.losses(), "losses");
    assertArrayEquals(want.logProbSums(), got.logProbSums(), "logProbSums");
    assertArrayEquals(want.tokenCounts(), got.tokenCounts(), "tokenCounts");
    assertArrayEquals(want.rowLse(), got.rowLse(), "rowLse");
  }
}
