package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import dev.reweigh.LossSpec;
import dev.reweigh.pytorch.FusedLinearLoss;
import dev.reweigh.pytorch.GradAccumulation;
import dev.reweigh.pytorch.LinearHead;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * One LM-head problem for the fused linear + cross-entropy benchmarks: hidden {@code [rows, H]},
 * weight {@code [V, H]} (N(0, 1/H) so logits are O(1)), random targets (1 in 8 ignored), samples
 * of 512 rows, coefficients in [0.5, 1.5). Shapes are written {@code ROWSxHxV}. Both paths
 * compute the weighted loss and the gradients of hidden and weight:
 *
 * <pre>
 *   fused:    FusedLinearLoss.forwardBackward (chunked, never [rows, V] at once)
 *   unfused:  logits = hidden W^T; loss = (cross_entropy(logits, none) * w).sum(); backward
 *             with w_r = c_s / (D tokens_s), what a libtorch user writes
 * </pre>
 *
 * The training-loop variants ({@link #fusedStep}, {@link #unfusedStep}) run on leaves whose
 * {@code .grad} already exists, as after a first step with gradients kept: both then add into
 * those gradients, and what they allocate is the step's own working memory. Building one sets
 * libtorch's intra-op threads to Reweigh's count, so both paths run on the same cores.
 */
final class LinearHeadData {
  static final int ROWS_PER_SAMPLE = 512;

  final int rows;
  final int hiddenSize;
  final int vocab;
  final ScalarType dtype;
  final Tensor hidden;
  final Tensor weight;
  final Tensor targets;
  final Tensor offsets;
  final Tensor rowWeights;
  final float[] coefficients;
  final LossSpec spec = LossSpec.defaults();
  /** Leaves with their gradients allocated, for the training-loop variants. */
  final Tensor hiddenLeaf;
  final Tensor weightLeaf;

  LinearHeadData(String shape, String dtypeName) {
    torch.set_num_threads(Capabilities.threads());
    String[] p = shape.split("x");
    rows = Integer.parseInt(p[0]);
    hiddenSize = Integer.parseInt(p[1]);
    vocab = Integer.parseInt(p[2]);
    dtype = dtypeName.equals("bf16") ? ScalarType.BFloat16 : ScalarType.Float;
    SplittableRandom rnd = new SplittableRandom(7);
    torch.manual_seed(7);
    TensorOptions f32 = new TensorOptions(ScalarType.Float);
    hidden = torch.randn(new long[] {rows, hiddenSize}, f32).to(dtype);
    weight = torch.randn(new long[] {vocab, hiddenSize}, f32)
        .mul(new org.bytedeco.pytorch.Scalar(1.0 / Math.sqrt(hiddenSize))).to(dtype);
    long[] y = new long[rows];
    for (int r = 0; r < rows; r++) {
      y[r] = rnd.nextInt(8) == 0 ? -100 : rnd.nextInt(vocab);
    }
    int samples = (rows + ROWS_PER_SAMPLE - 1) / ROWS_PER_SAMPLE;
    long[] o = new long[samples + 1];
    for (int s = 0; s <= samples; s++) {
      o[s] = Math.min((long) s * ROWS_PER_SAMPLE, rows);
    }
    coefficients = new float[samples];
    for (int s = 0; s < samples; s++) {
      coefficients[s] = (float) (0.5 + rnd.nextDouble());
    }
    try (LongPointer yp = new LongPointer(y); LongPointer op = new LongPointer(o)) {
      targets = torch.from_blob(yp, new long[] {rows}, new TensorOptions(ScalarType.Long)).clone();
      offsets = torch.from_blob(op, new long[] {o.length}, new TensorOptions(ScalarType.Long))
          .clone();
    }
    // w_r = c_s / (D * tokens_s), D = sum of c_s over samples with tokens (WEIGHT_SUM, MEAN).
    float[] w = new float[rows];
    double d = 0;
    for (int s = 0; s < samples; s++) {
      long n = 0;
      for (long r = o[s]; r < o[s + 1]; r++) {
        n += y[(int) r] != -100 ? 1 : 0;
      }
      if (n > 0) {
        d += coefficients[s];
        for (long r = o[s]; r < o[s + 1]; r++) {
          w[(int) r] = y[(int) r] != -100 ? (float) (coefficients[s] / (double) n) : 0f;
        }
      }
    }
    for (int r = 0; r < rows; r++) {
      w[r] /= d;
    }
    try (FloatPointer wp = new FloatPointer(w)) {
      rowWeights = torch.from_blob(wp, new long[] {rows}, f32).clone().to(dtype);
    }
    hiddenLeaf = hidden.detach().requires_grad_(true);
    weightLeaf = weight.detach().requires_grad_(true);
    hiddenLeaf.mutable_grad().put(torch.zeros_like(hidden));
    weightLeaf.mutable_grad().put(torch.zeros_like(weight));
  }

  /** The fused path (gradients accumulated in the head's dtype); returns the total. */
  double fused(long chunkBytes) {
    return fused(chunkBytes, GradAccumulation.HEAD_DTYPE);
  }

  /** The fused path with the given gradient accumulators; returns the total. */
  @SuppressWarnings("try") // the scope frees the call's tensors when it closes
  double fused(long chunkBytes, GradAccumulation accumulation) {
    try (PointerScope scope = new PointerScope()) {
      return FusedLinearLoss.forwardBackward(LinearHead.of(hidden, weight, null, targets, offsets),
          coefficients, spec, chunkBytes, accumulation).total();
    }
  }

  /**
   * {@link FusedLinearLoss#forwardBackward(LinearHead, float[], LossSpec, long, Tensor)} adding
   * the weight gradient into the existing {@code weightLeaf.grad} (a trainer's parameter-gradient
   * buffer); grad_hidden is returned fresh, as autograd's is before it is added into
   * hidden.grad.
   */
  @SuppressWarnings("try") // the scope frees the call's tensors when it closes
  double fusedInto(long chunkBytes) {
    try (PointerScope scope = new PointerScope()) {
      return FusedLinearLoss.forwardBackward(LinearHead.of(hidden, weight, null, targets, offsets),
          coefficients, spec, chunkBytes, weightLeaf.grad()).total();
    }
  }

  /** {@link FusedLinearLoss#step} on the leaves, adding into their existing gradients. */
  @SuppressWarnings("try") // the scope frees the call's tensors when it closes
  double fusedStep(long chunkBytes) {
    try (PointerScope scope = new PointerScope()) {
      return FusedLinearLoss.step(LinearHead.of(hiddenLeaf, weightLeaf, null, targets, offsets),
          coefficients, spec, chunkBytes).total();
    }
  }

  /** The unfused path on the leaves, autograd adding into their existing gradients. */
  @SuppressWarnings("try")
  double unfusedStep() {
    try (PointerScope scope = new PointerScope()) {
      Tensor loss = torch.cross_entropy_loss(hiddenLeaf.matmul(weightLeaf.t()), targets,
          new TensorOptional(), 0, -100, 0.0).mul(rowWeights).sum();
      loss.backward();
      return loss.item_double();
    }
  }

  /** libtorch's unfused path with autograd; returns the total. */
  @SuppressWarnings("try")
  double unfused() {
    try (PointerScope scope = new PointerScope()) {
      Tensor h = hidden.detach().requires_grad_(true);
      Tensor w = weight.detach().requires_grad_(true);
      Tensor logits = h.matmul(w.t());
      Tensor loss = torch.cross_entropy_loss(logits, targets, new TensorOptional(), 0, -100, 0.0)
          .mul(rowWeights).sum();
      loss.backward();
      if (!h.grad().defined() || !w.grad().defined()) {
        throw new IllegalStateException("no gradient");
      }
      return loss.item_double();
    }
  }
}
