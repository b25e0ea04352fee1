package dev.reweigh.bench;

import dev.reweigh.DType;
import dev.reweigh.FusedLoss;
import dev.reweigh.weighting.TokenObjective;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The libtorch peer of {@link GrpoBench#grpoStep} ({@link TorchGrpoPeer}): log_softmax + gather +
 * clipped objective + autograd over the same logits and GRPO inputs.
 *
 * <p>Guard, once per trial: the last call's objective against Reweigh's on the same batch (fp32
 * 1e-4 of mean |A_i|; libtorch's bf16 path rounds its log-probs to bf16, hence 1e-2 there), and in
 * fp32 the last call's gradient row 0 against the float64 reference of {@link GrpoData#checkRow}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
// The first calls pay libtorch's lazy init (kernel registry, OpenMP pool) and the allocator.
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.MAX_PHYSICAL, BenchJvm.MAX_BYTES, BenchJvm.HEAP})
public class LibtorchGrpoBench {
  @Param({"4096x32000", "1024x128256"})
  public String shape;

  @Param({"f32", "bf16"})
  public String dtype;

  private BenchData data;
  private GrpoData grpo;
  private TorchGrpoPeer peer;
  private double last = Double.NaN;

  @Setup(Level.Trial)
  public void setUp() {
    data = BenchData.create(shape, dtype, false);
    grpo = new GrpoData(data);
    peer = new TorchGrpoPeer(grpo);
  }

  @Benchmark
  public double grpoStep() {
    return last = peer.step(-1, null);
  }

  private void verify() {
    if (Double.isNaN(last)) {
      throw new IllegalStateException("no measured call");
    }
    TokenObjective f = grpo.objective(FusedLoss.forward(data.batch, GrpoData.SPEC));
    // Group-normalised advantages sum to 0 in each group, so F is a small difference of terms of
    // size mean_i |A_i|: the tolerance is relative to that.
    double scale = 0;
    for (double a : grpo.advantages) {
      scale += Math.abs(a) / grpo.advantages.length;
    }
    double tol = data.dtype == DType.F32 ? 1e-4 : 1e-2;
    if (!(Math.abs(last - f.value()) <= tol * scale)) {
      throw new IllegalStateException("libtorch GRPO objective " + last + ", Reweigh gives "
          + f.value());
    }
    if (data.dtype == DType.F32) {
      float[] g = new float[data.shape.vocab];
      peer.step(0, g);
      GrpoData.checkRow(data, 0, g, f.rowWeights()[0], 0f);
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
