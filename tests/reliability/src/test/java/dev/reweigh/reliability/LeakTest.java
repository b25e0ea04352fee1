package dev.reweigh.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.FusedLoss;
import dev.reweigh.NativeBatch;
import dev.reweigh.NativeGrad;
import dev.reweigh.NativeStats;
import dev.reweigh.SampleStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * One million calls through the heap API and one million through the pointer API (tiny shapes,
 * so the run stays well under a minute) keep the process RSS and JavaCPP's Pointer.physicalBytes()
 * flat, and JavaCPP's own allocation count (Pointer.totalBytes()) returns exactly to its start.
 * One call in ten is invalid, so the error path (native exception, thread-local message, Java
 * exception) is in the loop too.
 *
 * <p>Bound: 16 MiB of growth over 10^6 calls. A leak of 17 bytes per call or more exceeds it;
 * below that, one-off growth (JIT code cache, malloc arenas of the pool threads) fits. The heap is
 * fixed and pre-touched (-Xms = -Xmx, AlwaysPreTouch in this module's surefire argLine), so
 * garbage does not move the RSS.
 */
class LeakTest {
  private static final int CALLS = 1_000_000;
  // One-off growth (JIT, malloc arenas of the pool threads, JavaCPP deallocator objects) happens in
  // the warm-up, before the first measurement; only what grows with the call count is left.
  private static final int WARMUP = 200_000;
  private static final long BOUND = 16L << 20;

  private static long rssBytes() throws IOException {
    for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  private static void report(String what, long rss0, long rss1, long phys0, long phys1,
      long total0, long total1, long millis) throws IOException {
    String line = String.format(
        "[leak] %s: %,d calls in %,d ms; RSS %,d -> %,d bytes (%+,d); physicalBytes %,d -> %,d (%+,d);"
            + " totalBytes %,d -> %,d%n",
        what, CALLS, millis, rss0, rss1, rss1 - rss0, phys0, phys1, phys1 - phys0, total0, total1);
    System.out.print(line);
    Path out = Paths.get("target", "reliability-figures.txt");
    Files.createDirectories(out.getParent());
    Files.write(out, line.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  private static void assertFlat(String what, long before, long after) {
    assertTrue(after - before <= BOUND, what + " grew by " + (after - before) + " bytes (bound "
        + BOUND + ")");
  }

  @Test
  void heapApiMillionCalls() throws IOException {
    Problems p = new Problems(3, 4, 16);
    int[] badTargets = p.targets.clone();
    badTargets[1] = 16; // outside [0, vocab): IllegalArgumentException
    float[] grad = new float[p.logits.length];
    short[] grad16 = new short[p.logits.length];
    long[] t0 = new long[3];
    long start = 0;
    for (int i = 0; i < WARMUP + CALLS; i++) {
      if (i == WARMUP) {
        System.gc();
        t0 = new long[] {rssBytes(), Pointer.physicalBytes(), Pointer.totalBytes()};
        start = System.nanoTime();
      }
      switch (i % 10) {
        case 0:
          assertThrows(IllegalArgumentException.class, () -> FusedLoss.forwardBackward(p.logits,
              p.vocab, badTargets, p.offsets, p.coefficients, p.spec, grad));
          break;
        case 1:
        case 2:
          FusedLoss.forward(p.logits, p.vocab, p.targets, p.offsets, p.spec);
          break;
        case 3:
          SampleStats st = FusedLoss.forward(p.logits, p.vocab, p.targets, p.offsets, p.spec);
          FusedLoss.backward(p.logits, p.vocab, p.targets, p.offsets, st, p.coefficients, p.spec,
              grad);
          break;
        case 4:
          FusedLoss.forwardBackward(p.logitsBf16, p.vocab, p.targets, p.offsets, p.coefficients,
              p.spec, grad16);
          break;
        default:
          FusedLoss.forwardBackward(p.logits, p.vocab, p.targets, p.offsets, p.coefficients,
              p.spec, grad);
          break;
      }
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.gc();
    long rss1 = rssBytes();
    long phys1 = Pointer.physicalBytes();
    report("heap API", t0[0], rss1, t0[1], phys1, t0[2], Pointer.totalBytes(), millis);
    assertFlat("RSS", t0[0], rss1);
    assertFlat("Pointer.physicalBytes()", t0[1], phys1);
  }

  @Test
  void pointerApiMillionCalls() throws IOException {
    Problems p = new Problems(4, 4, 16);
    long total0 = Pointer.totalBytes();
    long[] t0 = new long[3];
    long start = 0;
    try (FloatPointer z = new FloatPointer(p.logits);
        IntPointer t = new IntPointer(p.targets);
        IntPointer o = new IntPointer(p.offsets);
        FloatPointer c = new FloatPointer(p.coefficients);
        FloatPointer g = new FloatPointer(p.logits.length);
        FloatPointer loss = new FloatPointer(p.offsets.length - 1);
        FloatPointer lse = new FloatPointer(p.rows);
        DoublePointer total = new DoublePointer(1)) {
      int samples = p.offsets.length - 1;
      NativeBatch batch = NativeBatch.builder().logits(z, p.rows, p.vocab).targets(t)
          .offsets(o, samples).build();
      NativeGrad grad = NativeGrad.of(g, p.vocab);
      NativeStats out = NativeStats.builder().loss(loss.address()).rowLse(lse.address()).build();
      float[] badCoefficients = p.coefficients.clone();
      badCoefficients[0] = Float.NaN; // IllegalArgumentException naming coefficients[0]
      for (int i = 0; i < WARMUP + CALLS; i++) {
        if (i == WARMUP) {
          System.gc();
          t0 = new long[] {rssBytes(), Pointer.physicalBytes(), Pointer.totalBytes()};
          start = System.nanoTime();
        }
        switch (i % 10) {
          case 0:
            assertThrows(IllegalArgumentException.class,
                () -> FusedLoss.forwardBackward(batch, badCoefficients, p.spec, grad));
            break;
          case 1:
            FusedLoss.forward(batch, p.spec, out);
            break;
          case 2:
            FusedLoss.backward(batch, lse.address(), c.address(), p.spec, grad);
            break;
          case 3:
            FusedLoss.forwardBackward(batch, c.address(), p.spec, grad, out, total.address());
            break;
          case 4:
            // A fresh batch over fresh JavaCPP buffers, closed at once: allocation churn.
            try (FloatPointer z2 = new FloatPointer(p.logits);
                IntPointer t2 = new IntPointer(p.targets);
                IntPointer o2 = new IntPointer(p.offsets)) {
              NativeBatch b2 = NativeBatch.builder().logits(z2, p.rows, p.vocab).targets(t2)
                  .offsets(o2, samples).build();
              FusedLoss.forwardBackward(b2, p.coefficients, p.spec, NativeGrad.inPlace(b2));
            }
            break;
          default:
            FusedLoss.forwardBackward(batch, p.coefficients, p.spec, grad);
            break;
        }
      }
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.gc();
    long rss1 = rssBytes();
    long phys1 = Pointer.physicalBytes();
    long total1 = Pointer.totalBytes();
    report("pointer API", t0[0], rss1, t0[1], phys1, total0, total1, millis);
    assertFlat("RSS", t0[0], rss1);
    assertFlat("Pointer.physicalBytes()", t0[1], phys1);
    // Every JavaCPP buffer of the loop was closed: its own count is back where it started.
    assertEquals(total0, total1, "Pointer.totalBytes() after closing every buffer");
  }
}
