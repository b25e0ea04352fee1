package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import dev.reweigh.DType;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * The libtorch peer of one GRPO step ({@link GrpoData}), written the way a user would without
 * Reweigh, over the very same logits (zero-copy {@code from_blob}) and with as many intra-op
 * threads as Reweigh:
 *
 * <pre>
 *   logp = log_softmax(x, 1).gather(1, targets)                     // [rows]
 *   rho  = exp(logp - oldLogp)
 *   F    = -sum_r seqScale_r * min(rho A_r, clamp(rho, 1 - eps, 1 + eps) A_r)
 *   F.backward()                                                     // x.grad = dF/dlogits
 * </pre>
 *
 * with seqScale_r = 1 / (samples * |o_i|) on counted rows (arXiv:2402.03300 Eq. 3, no KL term).
 */
final class TorchGrpoPeer implements AutoCloseable {
  private final GrpoData grpo;
  private final LongPointer targetsI64;
  private final FloatPointer old;
  private final FloatPointer adv;
  private final FloatPointer scale;
  private final Tensor logits;
  private final Tensor targets;
  private final Tensor oldT;
  private final Tensor advT;
  private final Tensor scaleT;

  TorchGrpoPeer(GrpoData grpo) {
    this.grpo = grpo;
    BenchData d = grpo.data;
    torch.set_num_threads(Capabilities.threads());
    int rows = d.shape.rows;
    float[] advRow = new float[rows];
    float[] seqScale = new float[rows];
    for (int s = 0; s < d.samples; s++) {
      int lo = d.offsetsHeap[s];
      int hi = d.offsetsHeap[s + 1];
      int n = 0;
      for (int r = lo; r < hi; r++) {
        n += grpo.counted[r] ? 1 : 0;
      }
      for (int r = lo; r < hi; r++) {
        advRow[r] = (float) grpo.advantages[s];
        seqScale[r] = grpo.counted[r] ? (float) (1.0 / ((double) d.samples * n)) : 0f;
      }
    }
    targetsI64 = d.targetsI64();
    old = new FloatPointer(grpo.oldLogp);
    adv = new FloatPointer(advRow);
    scale = new FloatPointer(seqScale);
    TensorOptions f32 = new TensorOptions(torch.kFloat());
    logits = torch.from_blob(d.logits, new long[] {rows, d.shape.vocab},
        new TensorOptions(d.dtype == DType.F32 ? torch.kFloat() : torch.kBFloat16()));
    targets = torch.from_blob(targetsI64, new long[] {rows, 1}, new TensorOptions(torch.kLong()));
    oldT = torch.from_blob(old, new long[] {rows}, f32);
    advT = torch.from_blob(adv, new long[] {rows}, f32);
    scaleT = torch.from_blob(scale, new long[] {rows}, f32);
  }

  /**
   * One step; returns F. When {@code gradRow} is not null, row {@code row} of dF/dlogits is
   * copied into it as fp32 (for the guard).
   */
  @SuppressWarnings("try") // the scope frees every tensor made in the body when it closes
  double step(int row, float[] gradRow) {
    try (PointerScope scope = new PointerScope()) {
      Tensor x = logits.detach().requires_grad_(true);
      Tensor logp = torch.gather(torch.log_softmax(x, 1), 1, targets).reshape(grpo.data.shape.rows);
      Tensor rho = torch.exp(torch.sub(logp.to(torch.kFloat()), oldT));
      Tensor clipped = torch.clamp(rho, new ScalarOptional(new Scalar(1 - GrpoData.EPS)),
          new ScalarOptional(new Scalar(1 + GrpoData.EPS)));
      Tensor surrogate = torch.minimum(torch.mul(rho, advT), torch.mul(clipped, advT));
      Tensor f = torch.mul(surrogate, scaleT).sum().neg();
      f.backward();
      if (!x.grad().defined()) {
        throw new IllegalStateException("no gradient");
      }
      if (gradRow != null) {
        Tensor g = x.grad().select(0, row).to(torch.kFloat()).contiguous();
        new FloatPointer(g.data_ptr()).get(gradRow);
      }
      return f.item_double();
    }
  }

  @Override
  public void close() {
    for (Pointer p : new Pointer[] {targetsI64, old, adv, scale}) {
      p.close();
    }
  }
}
