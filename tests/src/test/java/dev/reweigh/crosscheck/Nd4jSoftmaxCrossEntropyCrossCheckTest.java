package dev.reweigh.crosscheck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.reweigh.LossSpec;
import dev.reweigh.crosscheck.Problem.Shape;
import dev.reweigh.nd4j.Nd4jBatch;
import dev.reweigh.nd4j.Nd4jLoss;
import dev.reweigh.nd4j.Nd4jResult;
import dev.reweigh.nd4j.Nd4jStats;
import dev.reweigh.testkit.OptionGrid;
import dev.reweigh.testkit.Reference64;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.loss.SoftmaxCrossEntropyLoss;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reweigh (through the ND4J adapter) against ND4J's native {@code SoftmaxCrossEntropyLoss} op
 * (libnd4j, an independent C++ implementation) with per-example weights, on every shape of {@link
 * Grid} and the options ND4J can express (label smoothing, weights; no ignore index, no softcap,
 * scale or z-loss).
 *
 * <p>Mapping: one-hot labels (an all-zero row for ignored rows); per-row losses from reduction
 * NONE with unit weights, aggregated per sample over counted rows; the weighted objective is
 * reduction SUM with per-row weights {@code w_r = c_s / (n_s D)} (MEAN) or {@code c_s / D} (SUM),
 * 0 on ignored rows, and its gradient with respect to the logits comes from SameDiff's
 * {@code calculateGradients} through ND4J's own backward op.
 *
 * <p>Tolerances: as for libtorch (both float32, different reduction orders): 1e-5 scaled by
 * |value| (+1 near 0) for losses, by the largest |w_r| or gradient entry for gradients.
 */
class Nd4jSoftmaxCrossEntropyCrossCheckTest {
  private static final Diffs DIFFS = new Diffs("ND4J SoftmaxCrossEntropyLoss");
  private static final double FP32 = 1e-5;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    long seed = 5000;
    for (Shape shape : Grid.SHAPES) {
      for (OptionGrid.Named opt : OptionGrid.ND4J) {
        out.add(Arguments.of(shape, opt, seed++));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} | {1}")
  @MethodSource("cases")
  void matchesNd4j(Shape shape, OptionGrid.Named opt, long seed) {
    Problem p = new Problem(shape, opt, seed);
    String label = p.describe();
    LossSpec spec = p.spec;
    double eps = p.o.eps();

    // ---- ND4J reference ----
    INDArray logits = Nd4j.createFromArray(p.logits).reshape('c', p.rows, p.v);
    INDArray labels = Nd4j.create(DataType.FLOAT, p.rows, p.v);
    for (int r = 0; r < p.rows; r++) {
      if (p.counted(r)) {
        labels.putScalar(r, p.targets[r], 1.0);
      }
    }
    INDArray ones = Nd4j.ones(DataType.FLOAT, p.rows, 1);
    INDArray rowLoss = Nd4j.exec(new SoftmaxCrossEntropyLoss(labels, logits, ones,
        LossReduce.NONE, eps))[0];
    double[] refRowLoss = rowLoss.reshape(-1).toDoubleVector();
    double[] w = p.rowWeights();
    float[] wf = Reference64.toFloats(w);
    SameDiff sd = SameDiff.create();
    SDVariable z = sd.var("logits", logits.dup());
    SDVariable loss = sd.loss.softmaxCrossEntropy("total", sd.constant("labels", labels), z,
        sd.constant("w", Nd4j.createFromArray(wf)), LossReduce.SUM, eps);
    loss.markAsLoss();
    Map<String, INDArray> grads = sd.calculateGradients(Collections.emptyMap(), "logits");
    double[] refGrad = grads.get("logits").reshape(-1).toDoubleVector();
    double refTotal = sd.output(Collections.emptyMap(), "total").get("total").getDouble(0);

    boolean mean = !p.o.sum();
    double[] wantLoss = p.perSample(refRowLoss, mean);
    double[] wantCounts = new double[p.samples()];
    for (int s = 0; s < p.samples(); s++) {
      wantCounts[s] = p.tokenCount(s);
    }
    double totalScale = p.totalScale(wantLoss);
    double gradScale = Math.max(T.maxAbs(refGrad), T.maxAbs(w));

    // ---- Reweigh through the adapter, on its own copy of the logits ----
    INDArray mine = Nd4j.createFromArray(p.logits);
    INDArray targets = Nd4j.createFromArray(p.targets);
    Nd4jBatch batch;
    INDArray grad;
    INDArray grad2;
    if (shape.padded()) {
      int b = p.samples();
      int t = shape.lengths()[0];
      batch = Nd4jBatch.padded(mine.reshape('c', b, t, p.v), targets.reshape('c', b, t));
      grad = Nd4j.create(DataType.FLOAT, b, t, p.v);
      grad2 = Nd4j.create(DataType.FLOAT, b, t, p.v);
    } else {
      batch = Nd4jBatch.of(mine.reshape('c', p.rows, p.v), targets,
          Nd4j.createFromArray(p.offsets));
      grad = Nd4j.create(DataType.FLOAT, p.rows, p.v);
      grad2 = Nd4j.create(DataType.FLOAT, p.rows, p.v);
    }
    Nd4jStats st = Nd4jLoss.forward(batch, spec);
    Nd4jResult r = Nd4jLoss.forwardBackward(batch, p.coefficients, spec, grad);
    Nd4jLoss.backward(batch, st, p.coefficients, spec, grad2);

    assertArrayEquals(wantCounts, T.toDoubles(st.tokenCount().toLongVector()),
        "token counts, " + label);
    DIFFS.check("sample loss", label, st.loss().toDoubleVector(), wantLoss, 1.0, FP32);
    DIFFS.check("weighted total", label, new double[] {r.total()}, new double[] {refTotal},
        totalScale, FP32);
    DIFFS.check("gradient (fused)", label, grad.reshape(-1).toDoubleVector(), refGrad, gradScale,
        FP32);
    DIFFS.check("gradient (two-phase)", label, grad2.reshape(-1).toDoubleVector(), refGrad,
        gradScale, FP32);
    DIFFS.caseDone();
  }

  @AfterAll
  static void report() {
    DIFFS.report();
  }
}
