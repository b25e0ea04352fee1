package dev.reweigh.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.reweigh.Device;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link TorchAllReduce} as a {@link dev.reweigh.NativeAllReduce} over native host memory: two
 * ranks of one Gloo group (two threads of this JVM, loopback 127.0.0.1, bounded in time) reduce
 * float arrays at addresses; the results are worked by hand, and {@code maxInto} leaves its source
 * as it was.
 */
class TorchNativeAllReduceTest {

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void twoRanksReduceNativeMemory() throws Exception {
    int port = freePort();
    float[][] source = {{1f, -2f, 5f}, {3f, -7f, 4f}};
    float[][] sums = {{0.5f, 1f, -1f, 2f}, {0.25f, -3f, 1f, 6f}};
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<float[][]>> out = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        final int rank = r;
        out.add(pool.submit(() -> {
          TorchAllReduce g =
              TorchAllReduce.gloo("127.0.0.1", port, rank, 2, Duration.ofSeconds(60));
          try (FloatPointer src = new FloatPointer(source[rank]);
              FloatPointer dst = new FloatPointer(3);
              FloatPointer sum = new FloatPointer(sums[rank])) {
            g.maxInto(Device.CPU, 0, src.address(), dst.address(), 3);
            g.sumInPlace(Device.CPU, 0, sum.address(), 4);
            float[][] r3 = {new float[3], new float[3], new float[4]};
            src.get(r3[0]);
            dst.get(r3[1]);
            sum.get(r3[2]);
            return r3;
          }
        }));
      }
      for (int r = 0; r < 2; r++) {
        float[][] got = out.get(r).get(100, TimeUnit.SECONDS);
        assertArrayEquals(source[r], got[0], "rank " + r + " source unchanged");
        assertArrayEquals(new float[] {3f, -2f, 5f}, got[1], "rank " + r + " max");
        assertArrayEquals(new float[] {0.75f, -2f, 0f, 8f}, got[2], "rank " + r + " sum");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void badArgumentsAreNamed() throws Exception {
    int port = freePort();
    TorchAllReduce g = TorchAllReduce.gloo("127.0.0.1", port, 0, 1, Duration.ofSeconds(30));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> g.sumInPlace(Device.CPU, 0, 0, 4));
    assertEquals("address is 0", e.getMessage());
    try (FloatPointer p = new FloatPointer(4)) {
      e = assertThrows(IllegalArgumentException.class,
          () -> g.maxInto(Device.CPU, 7, p.address(), p.address(), 4));
      assertEquals("stream = 7 must be 0 for host memory", e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> g.maxInto(Device.CPU, 0, p.address(), p.address(), -1));
      assertEquals("count = -1 must be >= 0", e.getMessage());
    }
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
