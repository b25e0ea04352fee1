package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import dev.reweigh.FusedLoss;
import dev.reweigh.PolicyResult;
import dev.reweigh.SampleStats;
import dev.reweigh.TokenLoss;
import dev.reweigh.weighting.TokenObjective;
import java.util.function.Supplier;
import org.bytedeco.javacpp.Pointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * The two-phase GRPO step of {@link GrpoData} on a native batch (gradient into a separate buffer,
 * so every call sees the same logits): {@code grpoStep} = forward + {@code PolicyGradient.grpo} +
 * {@code TokenLoss.backward}; {@code grpoStepEntropy} adds the entropy bonus (beta_r on every
 * row); {@code onePass} and {@code onePassEntropy} are the same steps through the one-pass {@code
 * PolicyLoss.forwardBackward}; {@code backwardRows} and {@code backwardRowsEntropy} are the
 * backward alone, given the forward's statistics (the figures to set against {@link
 * BackwardBench}). Byte model: the two-phase step reads the logits twice and writes the gradient
 * once (3 * rows * vocab * elementSize); the one-pass step and the backward alone 2 * rows * vocab
 * * elementSize.
 *
 * <p>Guard: in setup, one step of each kind on one thread; the sampled gradient rows ({@link
 * Guard#sampleRows}) of each are checked against a float64 softmax of the logits ({@link
 * GrpoData#checkRow}), then the buffer is filled with NaN. Once per trial, the last measured call's
 * gradient rows must equal the one-thread ones bit for bit, and its objective value the setup's
 * (the one-pass steps against their own one-thread call).
 */
public class GrpoBench extends BenchState {
  @Param({"f32", "bf16"})
  public String dtype;

  private BenchData data;
  private GrpoData grpo;
  private SampleStats stats;
  private float[] weights;
  private double value;
  private Guard.Reference plain;
  private Guard.Reference entropy;
  private Guard.Reference onePlain;
  private Guard.Reference oneEntropy;
  private final double[] oneValue = new double[2];
  private double expectedValue;
  private double lastValue = Double.NaN;
  private Boolean lastEntropy;
  private boolean lastOnePass;

  @Override
  protected void prepare() {
    data = BenchData.create(shape, dtype, true);
    grpo = new GrpoData(data);
    stats = FusedLoss.forward(data.batch, GrpoData.SPEC);
    TokenObjective f = grpo.objective(stats);
    weights = f.rowWeights();
    value = f.value();
    plain = reference(false);
    entropy = reference(true);
    onePlain = onePassReference(false);
    oneEntropy = onePassReference(true);
    Pointer.memset(data.grad, 0xff, data.logitBytes()); // NaN in fp32 and in bf16
  }

  /** The two-phase step on one thread: its value must be setup's; its sampled rows, float64's. */
  private Guard.Reference reference(boolean withEntropy) {
    double v = oneThread(() -> grpo.step(withEntropy));
    if (Double.doubleToLongBits(v) != Double.doubleToLongBits(value)) {
      throw new IllegalStateException("one-thread GRPO value " + v + " != " + value);
    }
    return checkedRows(weights, withEntropy);
  }

  /** The one-pass step on one thread: its value is the reference; its sampled rows, float64's. */
  private Guard.Reference onePassReference(boolean withEntropy) {
    PolicyResult res = oneThread(() -> grpo.onePass(withEntropy));
    oneValue[withEntropy ? 1 : 0] = res.objective();
    return checkedRows(res.rowWeights(), withEntropy);
  }

  private static <T> T oneThread(Supplier<T> call) {
    int before = Capabilities.threads();
    Capabilities.setThreads(1);
    try {
      return call.get();
    } finally {
      Capabilities.setThreads(before);
    }
  }

  /** The gradient's sampled rows (the guard's reference), each checked against float64 with w. */
  private Guard.Reference checkedRows(float[] w, boolean withEntropy) {
    int[] rows = Guard.sampleRows(data.shape.rows);
    float[][] grad = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      grad[i] = Guard.gradRow(data, rows[i]);
      GrpoData.checkRow(data, rows[i], grad[i], w[rows[i]],
          withEntropy ? grpo.entropyWeights[rows[i]] : 0f);
    }
    return new Guard.Reference(null, rows, grad);
  }

  @Benchmark
  public double grpoStep() {
    return measured(false, false, value, grpo.step(false));
  }

  @Benchmark
  public double grpoStepEntropy() {
    return measured(true, false, value, grpo.step(true));
  }

  @Benchmark
  public double onePass() {
    return measured(false, true, oneValue[0], grpo.onePass(false).objective());
  }

  @Benchmark
  public double onePassEntropy() {
    return measured(true, true, oneValue[1], grpo.onePass(true).objective());
  }

  @Benchmark
  public float[] backwardRows() {
    TokenLoss.backward(data.batch, stats, grpo.unit, weights, null, GrpoData.SPEC, data.gradOut);
    measured(false, false, Double.NaN, Double.NaN);
    return weights;
  }

  @Benchmark
  public float[] backwardRowsEntropy() {
    TokenLoss.backward(data.batch, stats, grpo.unit, weights, grpo.entropyWeights, GrpoData.SPEC,
        data.gradOut);
    measured(true, false, Double.NaN, Double.NaN);
    return weights;
  }

  /** Records what the call just measured computed, for {@link #verify()}; returns {@code got}. */
  private double measured(boolean entropy, boolean onePassCall, double expected, double got) {
    lastEntropy = entropy;
    lastOnePass = onePassCall;
    expectedValue = expected;
    lastValue = got;
    return got;
  }

  @Override
  protected void verify() {
    if (lastEntropy == null) {
      throw new IllegalStateException("no measured call");
    }
    if (!Double.isNaN(lastValue)
        && Double.doubleToLongBits(lastValue) != Double.doubleToLongBits(expectedValue)) {
      throw new IllegalStateException("GRPO value " + lastValue + ", setup gave " + expectedValue);
    }
    if (lastOnePass) {
      Guard.checkGradient(data, lastEntropy ? oneEntropy : onePlain);
    } else {
      Guard.checkGradient(data, lastEntropy ? entropy : plain);
    }
  }

  @Override
  protected void release() {
    data.close();
  }
}
