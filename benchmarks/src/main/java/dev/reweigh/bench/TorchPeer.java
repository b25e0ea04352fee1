package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import dev.reweigh.DType;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * The libtorch peer over one {@link BenchData} batch, shared by {@link LibtorchBench}, {@link
 * MemoryProbe} and {@link PairedProbe}: the very same logits (zero-copy {@code from_blob}), int64
 * targets, per-row weights w_r = c_s / (D * tokens_s), and as many intra-op threads as Reweigh.
 *
 * <pre>
 *   forwardBackward: rowLoss = cross_entropy(logits, targets, reduction = none)
 *                    loss = (rowLoss * w).sum(); loss.backward()
 *   forward:         cross_entropy(none).view(samples, T).mean(1) under no_grad
 * </pre>
 */
final class TorchPeer implements AutoCloseable {
  private final BenchData data;
  private final LongPointer targetsI64;
  private final FloatPointer rowWeights;
  private final Tensor logits;
  private final Tensor targets;
  private final Tensor weights;

  TorchPeer(BenchData data) {
    this.data = data;
    torch.set_num_threads(Capabilities.threads());
    int rows = data.shape.rows;
    targetsI64 = data.targetsI64();
    rowWeights = new FloatPointer(rowWeights(data));
    TensorOptions opts = new TensorOptions(data.dtype == DType.F32 ? torch.kFloat() : torch.kBFloat16());
    logits = torch.from_blob(data.logits, new long[] {rows, data.shape.vocab}, opts);
    targets = torch.from_blob(targetsI64, new long[] {rows}, new TensorOptions(torch.kLong()));
    Tensor w32 = torch.from_blob(rowWeights, new long[] {rows}, new TensorOptions(torch.kFloat()));
    weights = data.dtype == DType.F32 ? w32 : w32.to(torch.kBFloat16());
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

  /** The weighted loss and its gradient (discarded with the call's tensors); returns the loss. */
  @SuppressWarnings("try") // the scope frees every tensor made in the body when it closes
  double forwardBackward() {
    try (PointerScope scope = new PointerScope()) {
      Tensor x = logits.detach().requires_grad_(true);
      Tensor rowLoss = torch.cross_entropy_loss(x, targets, new TensorOptional(), 0 /* none */,
          -100, 0.0);
      Tensor loss = rowLoss.mul(weights).sum();
      loss.backward();
      if (!x.grad().defined()) {
        throw new IllegalStateException("no gradient");
      }
      return loss.item_double();
    }
  }

  /** Per-sample mean loss under no_grad; returns sample 0's. */
  @SuppressWarnings("try") // as above; the NoGradGuard is destroyed (grad mode restored) with it
  double forward() {
    try (PointerScope scope = new PointerScope()) {
      NoGradGuard noGrad = new NoGradGuard();
      Tensor rowLoss = torch.cross_entropy_loss(logits, targets, new TensorOptional(), 0, -100, 0.0);
      Tensor perSample = rowLoss.view(data.samples, data.shape.rows / data.samples).mean(1);
      return perSample.select(0, 0).item_double();
    }
  }

  @Override
  public void close() {
    targetsI64.close();
    rowWeights.close();
  }
}
