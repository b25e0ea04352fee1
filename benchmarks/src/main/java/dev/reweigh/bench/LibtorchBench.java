package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import dev.reweigh.DType;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
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
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
// The first calls pay libtorch's lazy init (kernel registry, OpenMP pool) and the allocator.
@Warmup(iterations = 2, time = 1)
// A forwardBackward takes about 1 s at the big shapes: 5 iterations give 5+ samples.
@Measurement(iterations = 5, time = 1)
// One fork: loading libtorch (about 3 s) and filling the data dominate a fork.
@Fork(value = 1, jvmArgsAppend = {BenchJvm.MAX_PHYSICAL, BenchJvm.MAX_BYTES, BenchJvm.HEAP})
public class LibtorchBench {
  @Param({"4096x32000", "1024x128256", "16384x4096", "8x32000"})
  public String shape;

  @Param({"f32", "bf16"})
  public String dtype;

  private BenchData data;
  private LongPointer targetsI64;
  private FloatPointer rowWeights;
  private Tensor logits;
  private Tensor targets;
  private Tensor weights;

  @Setup(Level.Trial)
  public void setUp() {
    data = BenchData.create(shape, dtype, false);
    torch.set_num_threads(Capabilities.threads());
    int rows = data.shape.rows;
    int vocab = data.shape.vocab;
    targetsI64 = data.targetsI64();
    float[] w = rowWeights(data);
    rowWeights = new FloatPointer(w);
    TensorOptions opts = new TensorOptions(data.dtype == DType.F32 ? torch.kFloat() : torch.kBFloat16());
    logits = torch.from_blob(data.logits, new long[] {rows, vocab}, opts);
    targets = torch.from_blob(targetsI64, new long[] {rows}, new TensorOptions(torch.kLong()));
    Tensor w32 = torch.from_blob(rowWeights, new long[] {rows}, new TensorOptions(torch.kFloat()));
    weights = data.dtype == DType.F32 ? w32 : w32.to(torch.kBFloat16());
    double loss = forwardBackward();
    if (!(loss > 0 && loss < 100)) {
      throw new IllegalStateException("libtorch weighted loss = " + loss);
    }
  }

  /** w_r = c_s / (D * tokens_s) with D = sum_s c_s: the per-row form of Reweigh's objective. */
  static float[] rowWeights(BenchData d) {
    double sumC = 0;
    for (float c : d.coefficients) {
      sumC += c;
    }
    float[] w = new float[d.shape.rows];
    for (int s = 0; s < d.samples; s++) {
      int lo = d.offsetsHeap[s];
      int hi = d.offsetsHeap[s + 1];
      for (int r = lo; r < hi; r++) {
        w[r] = (float) (d.coefficients[s] / (sumC * (hi - lo)));
      }
    }
    return w;
  }

  @Benchmark
  @SuppressWarnings("try") // the scope frees every tensor made in the body when it closes
  public double forwardBackward() {
    try (PointerScope scope = new PointerScope()) {
      Tensor x = logits.detach().requires_grad_(true);
      Tensor rowLoss = torch.cross_entropy_loss(x, targets, new TensorOptional(), 0 /* none */,
          -100, 0.0);
      Tensor loss = rowLoss.mul(weights).sum();
      loss.backward();
      Tensor grad = x.grad();
      if (!grad.defined()) {
        throw new IllegalStateException("no gradient");
      }
      return loss.item_double();
    }
  }

  @Benchmark
  @SuppressWarnings("try") // as above
  public double forward() {
    try (PointerScope scope = new PointerScope()) {
      NoGradGuard noGrad = new NoGradGuard(); // destroyed (grad mode restored) when the scope closes
      Tensor rowLoss = torch.cross_entropy_loss(logits, targets, new TensorOptional(), 0, -100, 0.0);
      Tensor perSample = rowLoss.view(data.samples, data.shape.rows / data.samples).mean(1);
      return perSample.select(0, 0).item_double();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    data.close();
    targetsI64.close();
    rowWeights.close();
  }
}
