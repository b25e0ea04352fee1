package dev.reweigh.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.Capabilities;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 16 Java threads call every entry point at once on shared read-only inputs with private outputs:
 * the results are bit-identical to serial calls, also while another thread changes the kernels'
 * thread count. (Concurrent callers share one native pool: a caller that finds it busy runs its
 * rows inline, so this also covers the inline path.)
 */
@ExtendWith(RestoresThreads.class)
class ConcurrencyTest {
  private static final int CALLERS = 16;

  /** Each caller runs every entry point `rounds` times; returns the mismatches. */
  private static int hammer(Problems p, Outputs serial, int rounds, Runnable meanwhile)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger mismatches = new AtomicInteger();
    Thread side = new Thread(() -> {
      while (!done.get()) {
        meanwhile.run();
      }
    });
    try {
      side.start();
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < CALLERS; t++) {
        futures.add(pool.submit(() -> {
          for (int i = 0; i < rounds; i++) {
            String diff = new Outputs(p).differenceFrom(serial);
            if (diff != null) {
              mismatches.incrementAndGet();
              System.err.println("concurrent call differs from serial in " + diff);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS); // rethrows a caller's exception
      }
    } finally {
      done.set(true);
      side.join();
      pool.shutdownNow();
    }
    return mismatches.get();
  }

  @Test
  void sixteenThreadsMatchSerialBitForBit() throws Exception {
    // 97 x 33 runs inline on each caller; 300 x 1000 (above 2^18 logits) goes through the pool.
    for (int[] shape : new int[][] {{97, 33}, {300, 1000}}) {
      Problems p = new Problems(11 + shape[1], shape[0], shape[1]);
      Capabilities.setThreads(1);
      Outputs serial = new Outputs(p);
      assertNull(new Outputs(p).differenceFrom(serial), "serial calls are not even repeatable");
      Capabilities.setThreads(Math.max(2, Runtime.getRuntime().availableProcessors()));
      assertEquals(0, hammer(p, serial, 8, Thread::yield), "V=" + shape[1]);
    }
  }

  @Test
  void changingTheThreadCountMidRunIsSafe() throws Exception {
    Problems p = new Problems(5, 600, 515); // above 2^18 logits: runs on the pool
    Capabilities.setThreads(1);
    Outputs serial = new Outputs(p);
    AtomicInteger changes = new AtomicInteger();
    int bad = hammer(p, serial, 6, () -> Capabilities.setThreads(1 + changes.getAndIncrement() % 4));
    assertEquals(0, bad);
    assertTrue(changes.get() > 0, "the thread count never changed during the run");
    System.out.println("[concurrency] thread-count changes during the run: " + changes.get());
  }
}
