package dev.reweigh.bench;

import dev.reweigh.DType;
import dev.reweigh.FusedLoss;
import dev.reweigh.SampleStats;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The peer: libtorch (PyTorch presets 2.10, CPU) doing the same job the way a user would without
 * Reweigh, over the very same logits (zero-copy {@code from_blob}):
 *
 * <pre>
 *   rowLoss = cross_entropy(logits, targets, reduction = none)        // [rows]
 *   loss    = (rowLoss * w).sum();   w_r = c_s / (D * tokens_s)       // WEIGHT_SUM, MEAN
 *   loss.backward();  grad = logits.grad()
 * </pre>
 *
 * and, for forward, {@code cross_entropy(none).view(samples, T).mean(1)} under no_grad: only the
 * per-sample loss (Reweigh's forward also returns the log-prob sum and the entropy), which
 * favours libtorch. libtorch uses as many intra-op threads as Reweigh ({@code set_num_threads}).
 */
// The first calls pay libtorch's lazy init (kernel registry, OpenMP pool) and the allocator. A
// forwardBackward takes about 1 s at the big shapes: the plan's 5 iterations give 5+ samples; its
// one fork pays loading libtorch (about 3 s) once.
@Warmup(iterations = 2, time = 1)
public class LibtorchBench extends JmhPlan {
  @Param({"4096x32000", "1024x128256", "16384x4096", "8x32000"})
  public String shape;

  @Param({"f32", "bf16"})
  public String dtype;

  private BenchData data;
  private TorchPeer peer;
  private double lastForward = Double.NaN;
  private double lastForwardBackward = Double.NaN;

  @Setup(Level.Trial)
  public void setUp() {
    data = BenchData.create(shape, dtype, false);
    peer = new TorchPeer(data);
  }

  @Benchmark
  public double forwardBackward() {
    return lastForwardBackward = peer.forwardBackward();
  }

  @Benchmark
  public double forward() {
    return lastForward = peer.forward();
  }

  /**
   * Once per trial, the last call's loss against Reweigh's on the same batch (itself checked by
   * the kernel benchmarks' guards): sample 0's mean loss for forward, sum_s c_s loss_s / sum_s c_s
   * for forwardBackward. libtorch's bf16 path rounds its outputs to bf16, hence 1e-2 there.
   */
  private void verify() {
    SampleStats st = FusedLoss.forward(data.batch, data.spec);
    double tol = data.dtype == DType.F32 ? 1e-4 : 1e-2;
    if (!Double.isNaN(lastForward)) {
      expectClose("forward sample 0 loss", lastForward, st.loss(0), tol);
    }
    if (!Double.isNaN(lastForwardBackward)) {
      double num = 0;
      double den = 0;
      for (int s = 0; s < data.samples; s++) {
        num += data.coefficients[s] * st.loss(s);
        den += data.coefficients[s];
      }
      expectClose("forwardBackward weighted loss", lastForwardBackward, num / den, tol);
    }
    if (Double.isNaN(lastForward) && Double.isNaN(lastForwardBackward)) {
      throw new IllegalStateException("no measured call");
    }
  }

  private static void expectClose(String what, double libtorch, double reweigh, double tol) {
    if (!(Math.abs(libtorch - reweigh) <= tol * Math.abs(reweigh))) {
      throw new IllegalStateException("libtorch " + what + " = " + libtorch + ", Reweigh gives "
          + reweigh);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    try {
      verify();
    } finally {
      peer.close();
      data.close();
    }
  }
}
