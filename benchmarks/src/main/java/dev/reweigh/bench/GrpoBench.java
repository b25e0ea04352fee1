package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import dev.reweigh.FusedLoss;
import dev.reweigh.PolicyResult;
import dev.reweigh.SampleStats;
import dev.reweigh.TokenLoss;
import dev.reweigh.weighting.TokenObjective;
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

  private Guard.Reference reference(boolean withEntropy) {
    int before = Capabilities.threads();
    double v;
    Capabilities.setThreads(1);
    try {
      v = grpo.step(withEntropy);
    } finally {
      Capabilities.setThreads(before);
    }
    if (Double.doubleToLongBits(v) != Double.doubleToLongBits(value)) {
      throw new IllegalStateException("one-thread GRPO value " + v + " != " + value);
    }
    int[] rows = Guard.sampleRows(data.shape.rows);
    float[][] grad = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      grad[i] = Guard.gradRow(data, rows[i]);
      GrpoData.checkRow(data, rows[i], grad[i], weights[rows[i]],
          withEntropy ? grpo.entropyWeights[rows[i]] : 0f);
    }
    return new Guard.Reference(null, rows, grad);
  }

  private Guard.Reference onePassReference(boolean withEntropy) {
    int before = Capabilities.threads();
    PolicyResult res;
    Capabilities.setThreads(1);
    try {
      res = grpo.onePass(withEntropy);
    } finally {
      Capabilities.setThreads(before);
    }
    oneValue[withEntropy ? 1 : 0] = res.objective();
    int[] rows = Guard.sampleRows(data.shape.rows);
    float[][] grad = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      grad[i] = Guard.gradRow(data, rows[i]);
      GrpoData.checkRow(data, rows[i], grad[i], res.rowWeights()[rows[i]],
          withEntropy ? grpo.entropyWeights[rows[i]] : 0f);
    }
    return new Guard.Reference(null, rows, grad);
  }

  @Benchmark
  public double grpoStep() {
    lastEntropy = false;
    lastOnePass = false;
    expectedValue = value;
    return lastValue = grpo.step(false);
  }

  @Benchmark
  public double grpoStepEntropy() {
    lastEntropy = true;
    lastOnePass = false;
    expectedValue = value;
    return lastValue = grpo.step(true);
  }

  @Benchmark
  public double onePass() {
    lastEntropy = false;
    lastOnePass = true;
    expectedValue = oneValue[0];
    return lastValue = grpo.onePass(false).objective();
  }

  @Benchmark
  public double onePassEntropy() {
    lastEntropy = true;
    lastOnePass = true;
    expectedValue = oneValue[1];
    return lastValue = grpo.onePass(true).objective();
  }

  @Benchmark
  public float[] backwardRows() {
    lastEntropy = false;
    lastOnePass = false;
    lastValue = Double.NaN;
    TokenLoss.backward(data.batch, stats, grpo.unit, weights, null, GrpoData.SPEC, data.gradOut);
    return weights;
  }

  @Benchmark
  public float[] backwardRowsEntropy() {
    lastEntropy = true;
    lastOnePass = false;
    lastValue = Double.NaN;
    TokenLoss.backward(data.batch, stats, grpo.unit, weights, grpo.entropyWeights, GrpoData.SPEC,
        data.gradOut);
    return weights;
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
