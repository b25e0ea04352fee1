package dev.reweigh.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.FusedLoss;
import dev.reweigh.NativeBatch;
import dev.reweigh.NativeGrad;
import dev.reweigh.NativeStats;
import dev.reweigh.RowPartials;
import dev.reweigh.SampleStats;
import dev.reweigh.ShardedLoss;
import dev.reweigh.TokenLoss;
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
 * Each call path on its own loop, with its own bound: forward, forwardBackward, backward, the
 * error path (native rejection, thread-local message, Java exception), bf16, the per-row
 * (token) backward, the vocabulary-sharded calls and the pointer API.
 * The process RSS and JavaCPP's Pointer.physicalBytes() must stay flat, and for the pointer API
 * JavaCPP's own allocation count (Pointer.totalBytes()) must return exactly to its start.
 *
 * <p>Bound: 8 MiB of growth over {@link #CALLS} = 200,000 calls of one path, so a leak of 42 bytes
 * per call or more on any single path fails (a 168-byte leak confined to one path grows 32 MiB,
 * four times the bound). One-off growth (JIT code, malloc arenas, JavaCPP's deallocator queue:
 * about 11 MB over the pointer API's first 200,000 calls) happens in each path's warm-up of
 * {@link #WARMUP} calls, before the first measurement. The heap is fixed and pre-touched (-Xms =
 * -Xmx, AlwaysPreTouch in this module's surefire argLine), so garbage does not move the RSS. The
 * shapes are tiny: 8 x 400,000 calls take a few seconds.
 *
 * <p>A window of CALLS calls that grew past the bound is followed by up to {@link #WINDOWS} - 1
 * more, and the path fails when every window grew past it: a leak grows in every window, while
 * a one-off RSS jump (a JIT compilation, a new malloc arena, a GC thread's stack) lands in one
 * window only. A single window of 200,000 calls once grew 11.6 MB on a loaded 2-core machine and
 * the next two windows of the same run shrank by 6.4 MB and 5.5 MB.
 */
class LeakTest {
  private static final int CALLS = 200_000;
  private static final int WARMUP = 200_000;
  private static final long BOUND = 8L << 20;
  private static final int WINDOWS = 2;

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

  private static void assertFlat(String path, String what, long leastGrowth, long first,
      long last) {
    assertTrue(leastGrowth <= BOUND, path + ": " + what + " grew by at least " + leastGrowth
        + " bytes in each of " + WINDOWS + " windows of " + CALLS + " calls (bound " + BOUND
        + "; " + first + " -> " + last + " bytes over all windows)");
  }

  /**
   * Runs {@code call} WARMUP times, then windows of CALLS calls, each between two measurements,
   * until a window stays within the bound or WINDOWS windows have run; fails when the RSS or
   * physicalBytes grew past the bound in every window.
   */
  private static void measure(String path, Runnable call) throws IOException {
    long total0 = Pointer.totalBytes();
    for (int i = 0; i < WARMUP; i++) {
      call.run();
    }
    long rssGrowth = Long.MAX_VALUE;
    long physGrowth = Long.MAX_VALUE;
    long rssFirst = 0;
    long rssLast = 0;
    long physFirst = 0;
    long physLast = 0;
    for (int w = 0; w < WINDOWS; w++) {
      System.gc();
      long rss0 = rssBytes();
      long phys0 = Pointer.physicalBytes();
      long start = System.nanoTime();
      for (int i = 0; i < CALLS; i++) {
        call.run();
      }
      long millis = (System.nanoTime() - start) / 1_000_000;
      System.gc();
      long rss1 = rssBytes();
      long phys1 = Pointer.physicalBytes();
      report(path + " window " + (w + 1), rss0, rss1, phys0, phys1, total0, Pointer.totalBytes(),
          millis);
      rssGrowth = Math.min(rssGrowth, rss1 - rss0);
      physGrowth = Math.min(physGrowth, phys1 - phys0);
      if (w == 0) {
        rssFirst = rss0;
        physFirst = phys0;
      }
      rssLast = rss1;
      physLast = phys1;
      if (rssGrowth <= BOUND && physGrowth <= BOUND) {
        break;
      }
    }
    assertFlat(path, "RSS", rssGrowth, rssFirst, rssLast);
    assertFlat(path, "Pointer.physicalBytes()", physGrowth, physFirst, physLast);
  }

  @Test
  void forward() throws IOException {
    Problems p = new Problems(3, 4, 16);
    measure("forward", () -> FusedLoss.forward(p.logits, p.vocab, p.targets, p.offsets, p.spec));
  }

  @Test
  void forwardBackward() throws IOException {
    Problems p = new Problems(5, 4, 16);
    float[] grad = new float[p.logits.length];
    measure("forwardBackward", () -> FusedLoss.forwardBackward(p.logits, p.vocab, p.targets,
        p.offsets, p.coefficients, p.spec, grad));
  }

  @Test
  void backward() throws IOException {
    Problems p = new Problems(6, 4, 16);
    float[] grad = new float[p.logits.length];
    SampleStats st = FusedLoss.forward(p.logits, p.vocab, p.targets, p.offsets, p.spec);
    measure("backward", () -> FusedLoss.backward(p.logits, p.vocab, p.targets, p.offsets, st,
        p.coefficients, p.spec, grad));
  }

  @Test
  void errorPath() throws IOException {
    Problems p = new Problems(7, 4, 16);
    int[] badTargets = p.targets.clone();
    badTargets[1] = 16; // outside [0, vocab): rejected by the native validation
    float[] grad = new float[p.logits.length];
    measure("error path", () -> assertThrows(IllegalArgumentException.class,
        () -> FusedLoss.forwardBackward(p.logits, p.vocab, badTargets, p.offsets, p.coefficients,
            p.spec, grad)));
  }

  @Test
  void bf16() throws IOException {
    Problems p = new Problems(8, 4, 16);
    short[] grad16 = new short[p.logits.length];
    measure("bf16", () -> FusedLoss.forwardBackward(p.logitsBf16, p.vocab, p.targets, p.offsets,
        p.coefficients, p.spec, grad16));
  }

  @Test
  void tokenBackward() throws IOException {
    Problems p = new Problems(9, 4, 16);
    float[] grad = new float[p.logits.length];
    SampleStats st = FusedLoss.forward(p.logits, p.vocab, p.targets, p.offsets, p.spec);
    float[] rowWeights = new float[p.rows];
    float[] rowEntropyWeights = new float[p.rows];
    for (int r = 0; r < p.rows; r++) {
      rowWeights[r] = 0.5f + r;
      rowEntropyWeights[r] = 0.01f * (r + 1);
    }
    measure("token backward", () -> TokenLoss.backward(p.logits, p.vocab, p.targets, p.offsets,
        st, p.coefficients, rowWeights, rowEntropyWeights, p.spec, grad));
  }

  /** Two vocabulary shards of 8: partial forwards, their merge, statistics and each backward. */
  @Test
  void sharded() throws IOException {
    Problems p = new Problems(10, 4, 16);
    int half = p.vocab / 2;
    long total0 = Pointer.totalBytes();
    try (FloatPointer z = new FloatPointer(p.logits);
        IntPointer t = new IntPointer(p.targets);
        IntPointer o = new IntPointer(p.offsets);
        FloatPointer g = new FloatPointer(p.logits.length)) {
      int samples = p.offsets.length - 1;
      NativeBatch left = NativeBatch.builder().logits(z, p.rows, half).rowStride(p.vocab)
          .targets(t).offsets(o, samples).build();
      NativeBatch right = NativeBatch.builder()
          .logits(new FloatPointer(z).position(half), p.rows, half).rowStride(p.vocab)
          .targets(t).offsets(o, samples).build();
      NativeGrad gl = NativeGrad.of(g, p.vocab);
      NativeGrad gr = NativeGrad.of(new FloatPointer(g).position(half), p.vocab);
      measure("sharded", () -> {
        RowPartials all = ShardedLoss.partialForward(left, 0, p.vocab, p.spec);
        ShardedLoss.merge(all, ShardedLoss.partialForward(right, half, p.vocab, p.spec));
        ShardedLoss.stats(left, p.vocab, all, p.coefficients, p.spec);
        ShardedLoss.backward(left, 0, p.vocab, all, p.coefficients, p.spec, gl);
        ShardedLoss.backward(right, half, p.vocab, all, p.coefficients, p.spec, gr);
      });
    }
    assertEquals(total0, Pointer.totalBytes(), "Pointer.totalBytes() after closing every buffer");
  }

  @Test
  void pointerApi() throws IOException {
    Problems p = new Problems(4, 4, 16);
    long total0 = Pointer.totalBytes();
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
      int[] i = {0};
      measure("pointer API", () -> {
        switch (i[0]++ % 6) {
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
      });
    }
    // Every JavaCPP buffer of the loop was closed: its own count is back where it started.
    assertEquals(total0, Pointer.totalBytes(), "Pointer.totalBytes() after closing every buffer");
  }
}
