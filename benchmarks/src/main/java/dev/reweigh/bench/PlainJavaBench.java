package dev.reweigh.bench;

import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The plain-Java baseline: the obvious heap-array implementation a Java user would write (two
 * passes per row: max, then sum of exp; a third writes the gradient), rows in parallel on the
 * common pool (as many threads as cores, like Reweigh), fp32 only. Same objective as
 * forwardBackward: sum_s c_s * mean-token-loss_s / sum_s c_s.
 */
// C2 needs a few hundred row calls before the exp loop is compiled; two 1 s iterations cover it.
@Warmup(iterations = 2, time = 1)
// One fork, big heap: logits and gradient live on the heap (2 x 524 MB at 4096 x 32000).
@Fork(value = 1, jvmArgsAppend = {BenchJvm.BIG_HEAP})
public class PlainJavaBench extends JmhPlan {
  @Param({"4096x32000", "8x32000"})
  public String shape;

  @Param({"f32"})
  public String dtype;

  private int rows;
  private int vocab;
  private float[] logits;
  private float[] grad;
  private int[] targets;
  private int[] offsets;
  private int[] rowSample;
  private float[] coefficients;
  private double[] rowLoss;

  @Setup(Level.Trial)
  public void setUp() {
    BenchData.Shape s = BenchData.Shape.parse(shape);
    rows = s.rows;
    vocab = s.vocab;
    // Same values as the native batch: build it once, copy to the heap, free it.
    try (BenchData d = BenchData.create(shape, dtype, false)) {
      logits = new float[(int) s.elements()];
      ((org.bytedeco.javacpp.FloatPointer) d.logits).get(logits);
      targets = d.targetsHeap.clone();
      offsets = d.offsetsHeap.clone();
      coefficients = d.coefficients.clone();
    }
    grad = new float[logits.length];
    rowLoss = new double[rows];
    rowSample = new int[rows];
    for (int smp = 0; smp + 1 < offsets.length; smp++) {
      for (int r = offsets[smp]; r < offsets[smp + 1]; r++) {
        rowSample[r] = smp;
      }
    }
    double total = forwardBackward();
    if (!(total > 0 && total < 100)) {
      throw new IllegalStateException("plain Java total = " + total);
    }
  }

  @Benchmark
  public double forwardBackward() {
    int samples = offsets.length - 1;
    double sumC = 0;
    for (float c : coefficients) {
      sumC += c;
    }
    final double d = sumC;
    IntStream.range(0, rows).parallel().forEach(r -> {
      int s = rowSample[r];
      int n = offsets[s + 1] - offsets[s];
      rowLoss[r] = row(r, (float) (coefficients[s] / (d * n)), true);
    });
    return weightedTotal(samples, sumC);
  }

  @Benchmark
  public double forward() {
    IntStream.range(0, rows).parallel().forEach(r -> rowLoss[r] = row(r, 0f, false));
    return rowLoss[0];
  }

  private double weightedTotal(int samples, double sumC) {
    double total = 0;
    for (int s = 0; s < samples; s++) {
      double loss = 0;
      for (int r = offsets[s]; r < offsets[s + 1]; r++) {
        loss += rowLoss[r];
      }
      total += coefficients[s] * loss / (offsets[s + 1] - offsets[s]);
    }
    return total / sumC;
  }

  /** -log softmax(z)[y] of row r; with grad, g = k * (softmax(z) - onehot(y)). */
  private double row(int r, float k, boolean withGrad) {
    int base = r * vocab;
    float m = Float.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      m = Math.max(m, logits[base + v]);
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      sum += Math.exp(logits[base + v] - m);
    }
    double lse = m + Math.log(sum);
    int y = targets[r];
    if (withGrad) {
      for (int v = 0; v < vocab; v++) {
        grad[base + v] = (float) (k * Math.exp(logits[base + v] - lse));
      }
      grad[base + y] -= k;
    }
    return lse - logits[base + y];
  }
}
