package dev.reweigh.bench;

import dev.reweigh.DType;
import dev.reweigh.FusedLoss;
import dev.reweigh.weighting.TokenObjective;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * The libtorch peer of {@link GrpoBench#grpoStep} ({@link TorchGrpoPeer}): log_softmax + gather +
 * clipped objective + autograd over the same logits and GRPO inputs, with as many intra-op threads
 * as the trial's Reweigh kernels ({@link BenchState}'s {@code threads}; {@code isa} does not
 * apply).
 *
 * <p>Guard, once per trial: the last call's objective against Reweigh's on the same batch, and in
 * fp32 the last call's gradient row 0 against the float64 reference of {@link GrpoData#checkRow}.
 * Group-normalised advantages sum to 0 in each group, so F is a small difference of terms of size
 * mean_i |A_i|: the objective's tolerance is relative to that (fp32 1e-4; libtorch's bf16 path
 * rounds its log-probs to bf16, hence 1e-2 there).
 */
public class LibtorchGrpoBench extends BenchState {
  @Param({"f32", "bf16"})
  public String dtype;

  private BenchData data;
  private GrpoData grpo;
  private TorchGrpoPeer peer;
  private double last = Double.NaN;

  @Override
  protected void prepare() {
    data = BenchData.create(shape, dtype, false);
    grpo = new GrpoData(data);
    peer = new TorchGrpoPeer(grpo);
  }

  @Benchmark
  public double grpoStep() {
    return last = peer.step(-1, null);
  }

  @Override
  protected void verify() {
    if (Double.isNaN(last)) {
      throw new IllegalStateException("no measured call");
    }
    TokenObjective f = grpo.objective(FusedLoss.forward(data.batch, GrpoData.SPEC));
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

  @Override
  protected void release() {
    peer.close();
    data.close();
  }
}
