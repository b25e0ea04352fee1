package dev.reweigh.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.reweigh.Capabilities;
import dev.reweigh.FusedLoss;
import dev.reweigh.LossResult;
import dev.reweigh.LossSpec;
import java.io.DataInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link TorchAllReduce} over Gloo with separate JVM processes on 127.0.0.1 ({@link GlooWorker}):
 * vocabulary sharding and the data-parallel normaliser against a single-process run of the whole
 * batch. Each run picks a free port, waits at most 120 s for its workers (then kills them) and
 * the workers exit by themselves. Each JVM loads libtorch: on a loaded 2-core machine the 2-process
 * run took 11 s and the 4-process run 23 to 50 s, so the 4-process run is opt-in ({@code
 * -Dreweigh.gloo4=true}) to keep CI small.
 *
 * <p>Tolerance: as in the core's sharded tests, the float32 rounding of row sums in a different
 * order (1e-5 relative); gradients compare at 1e-5 of their largest magnitude.
 */
class GlooAllReduceTest {
  static final double TOL = 1e-5;

  @ParameterizedTest(name = "processes={0}")
  @ValueSource(ints = {2, 4})
  void separateProcessesReproduceTheWholeBatch(int size) throws Exception {
    assumeTrue(size == 2 || Boolean.getBoolean("reweigh.gloo4"),
        "the 4-process run is opt-in: -Dreweigh.gloo4=true");
    Path dir = Files.createTempDirectory("reweigh-gloo");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    // Extract libtorch's and Reweigh's natives into the JavaCPP cache before the workers start:
    // JVMs that extract into a cold cache at the same moment can map a library another is still
    // writing (a worker died of SIGBUS in the loader that way).
    Loader.load(torch.class);
    Capabilities.threads();
    List<Process> workers = new ArrayList<>();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    try {
      for (int rank = 0; rank < size; rank++) {
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m",
            "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Dreweigh.threads=1",
            "-cp", System.getProperty("java.class.path"), GlooWorker.class.getName(),
            Integer.toString(rank), Integer.toString(size), Integer.toString(port),
            dir.resolve("rank" + rank).toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(dir.resolve("log" + rank).toFile());
        workers.add(pb.start());
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      for (int rank = 0; rank < size; rank++) {
        Process w = workers.get(rank);
        long left = deadline - System.nanoTime();
        if (!w.waitFor(Math.max(left, 0), TimeUnit.NANOSECONDS)) {
          fail("rank " + rank + " did not finish within 120 s; log: " + log(dir, rank));
        }
        assertEquals(0, w.exitValue(), "rank " + rank + " exit code; log: " + log(dir, rank));
      }
    } finally {
      for (Process w : workers) {
        w.destroyForcibly();
      }
    }
    compare(dir, size);
  }

  static String log(Path dir, int rank) throws Exception {
    File f = dir.resolve("log" + rank).toFile();
    return f.exists() ? Files.readString(f.toPath()) : "(none)";
  }

  static void compare(Path dir, int size) throws Exception {
    GlooWorker.Problem p = new GlooWorker.Problem();
    int v = GlooWorker.VOCAB;
    int[] bounds = GlooWorker.vocabBounds(size);
    DataInputStream[] in = new DataInputStream[size];
    try {
      for (int rank = 0; rank < size; rank++) {
        in[rank] = new DataInputStream(new FileInputStream(dir.resolve("rank" + rank).toFile()));
      }
      for (LossSpec spec : GlooWorker.SPECS) {
        float[] grad = new float[p.logits.length];
        LossResult whole = FusedLoss.forwardBackward(p.logits, v, p.targets, p.offsets,
            p.coefficients, spec, grad);
        double[] loss = whole.stats().losses();
        double gradScale = 0;
        for (float g : grad) {
          gradScale = Math.max(gradScale, Math.abs(g));
        }
        // Vocabulary sharding: every rank reports the whole statistics and its column slice.
        for (int rank = 0; rank < size; rank++) {
          String who = spec + " vocabulary rank " + rank;
          assertClose(who + " total", whole.total(), in[rank].readDouble(), TOL);
          float[] l = readFloats(in[rank]);
          for (int s = 0; s < loss.length; s++) {
            assertClose(who + " loss[" + s + "]", loss[s], l[s], TOL);
          }
          float[] g = readFloats(in[rank]);
          int lo = bounds[rank];
          int width = bounds[rank + 1] - lo;
          assertEquals(GlooWorker.ROWS * width, g.length, who + " grad length");
          for (int r = 0; r < GlooWorker.ROWS; r++) {
            for (int c = 0; c < width; c++) {
              float e = grad[r * v + lo + c];
              float a = g[r * width + c];
              if (!(Math.abs(e - a) <= TOL * gradScale)) {
                fail(who + " grad[" + r + ", " + (lo + c) + "] expected " + e + " got " + a);
              }
            }
          }
        }
        // Data parallel: rank totals add up, gradient rows equal the whole batch's.
        double sum = 0;
        for (int rank = 0; rank < size; rank++) {
          String who = spec + " data-parallel rank " + rank;
          sum += in[rank].readDouble();
          float[] g = readFloats(in[rank]);
          int r0 = GlooWorker.SAMPLES * rank / size * GlooWorker.ROWS_PER_SAMPLE;
          for (int i = 0; i < g.length; i++) {
            if (!(Math.abs(grad[r0 * v + i] - g[i]) <= TOL * gradScale)) {
              fail(who + " grad element " + i + " expected " + grad[r0 * v + i] + " got " + g[i]);
            }
          }
        }
        assertClose(spec + " data-parallel sum of totals", whole.total(), sum, TOL);
      }
      for (int rank = 0; rank < size; rank++) {
        assertTrue(in[rank].read() == -1, "rank " + rank + " wrote more than expected");
      }
    } finally {
      for (DataInputStream s : in) {
        if (s != null) {
          s.close();
        }
      }
    }
  }

  static void assertClose(String what, double expected, double actual, double rel) {
    if (!(Math.abs(expected - actual) <= rel * Math.max(1, Math.abs(expected)))) {
      fail(what + ": expected " + expected + " got " + actual);
    }
  }

  static float[] readFloats(DataInputStream in) throws Exception {
    float[] v = new float[in.readInt()];
    for (int i = 0; i < v.length; i++) {
      v[i] = in.readFloat();
    }
    return v;
  }
}
