package dev.reweigh.demo.train;

import static org.bytedeco.pytorch.global.torch.cross_entropy_loss;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Test oracle for {@link LossStep}: the same objective {@code (1/B) sum_s c_s loss_s} with
 * libtorch's own {@code cross_entropy} (reduction none, ignore_index -100) and autograd.
 */
final class TorchLossStep implements LossStep {
  private static final long REDUCTION_NONE = 0;

  @Override
  public Result step(Tensor logits, Tensor targets, Coefficients coefficients, LossOptions options) {
    long b = logits.size(0);
    long t = logits.size(1);
    long v = logits.size(2);
    Tensor nll = cross_entropy_loss(logits.view(b * t, v), targets.view(b * t), new TensorOptional(),
        REDUCTION_NONE, LossOptions.IGNORE_INDEX, 0.0).view(b, t);
    Tensor counted = targets.ne(new Scalar(LossOptions.IGNORE_INDEX)).to(torch.ScalarType.Float);
    Tensor sum = nll.sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
    Tensor count = counted.sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
    Tensor loss = options.sumTokens() ? sum : sum.div(count.clamp_min(new Scalar(1.0)));
    Tensor logProbSum = sum.neg();
    LossStats stats = new LossStats(floats(loss.detach()), floats(logProbSum.detach()), longs(count),
        new float[(int) b]);
    float[] c = coefficients.of(stats);
    Tensor objective = loss.mul(AbstractTensor.create(c, b)).sum().div(new Scalar((double) b));
    objective.backward();
    return new Result(objective.item_double(), stats);
  }

  @Override
  public LossStats forward(Tensor logits, Tensor targets, LossOptions options) {
    throw new UnsupportedOperationException("not needed by the tests");
  }

  private static float[] floats(Tensor x) {
    Tensor c = x.contiguous();
    float[] out = new float[(int) c.numel()];
    new FloatPointer(c.data_ptr_float()).get(out);
    return out;
  }

  private static long[] longs(Tensor x) {
    Tensor c = x.to(torch.ScalarType.Long).contiguous();
    long[] out = new long[(int) c.numel()];
    new LongPointer(c.data_ptr_long()).get(out);
    return out;
  }
}
