package dev.reweigh.nd4j;

import static dev.reweigh.testkit.Reference64.toFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.FusedLoss;
import dev.reweigh.LossResult;
import dev.reweigh.LossSpec;
import dev.reweigh.SampleStats;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The ND4J adapter against the core's heap path on the same numbers: same kernels, so results
 * agree exactly unless the adapter hands them a wrong address, stride or layout. The independent
 * check against ND4J's own SoftmaxCrossEntropyLoss lives in tests/.
 */
class Nd4jLossTest {
  private static final LossSpec SPEC = LossSpec.builder().labelSmoothing(0.1f).build();

  private static float[] randomLogits(SplittableRandom rnd, int n) {
    float[] z = new float[n];
    for (int i = 0; i < n; i++) {
      z[i] = (float) ((rnd.nextDouble() * 2 - 1) * 4);
    }
    return z;
  }

  private static int[] targets(SplittableRandom rnd, int rows, int v) {
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      y[i] = rnd.nextInt(7) == 0 ? -100 : rnd.nextInt(v);
    }
    return y;
  }

  /** {@code rows} rows of logits in [-4, 4) over V = v, and their targets (one in 7 ignored). */
  private record Problem(int rows, int v, float[] z, int[] y) {
    static Problem random(long seed, int rows, int v) {
      SplittableRandom rnd = new SplittableRandom(seed);
      return new Problem(rows, v, randomLogits(rnd, rows * v), targets(rnd, rows, v));
    }

    /** A new FLOAT [rows, V] array holding {@code z}. */
    INDArray logits() {
      return Nd4j.createFromArray(z).reshape('c', rows, v);
    }
  }

  private static void assertSameStats(SampleStats ref, Nd4jStats st) {
    assertArrayEquals(toFloats(ref.losses()), st.loss().toFloatVector(), "loss");
    assertArrayEquals(toFloats(ref.logProbSums()), st.logProbSum().toFloatVector(), "logProbSum");
    assertArrayEquals(toFloats(ref.meanEntropies()), st.meanEntropy().toFloatVector(),
        "meanEntropy");
    long[] counts = st.tokenCount().toLongVector();
    for (int s = 0; s < ref.samples(); s++) {
      assertEquals(ref.tokenCount(s), counts[s], "tokenCount[" + s + "]");
    }
    assertArrayEquals(ref.rowLse(), st.rowLse().toFloatVector(), "rowLse");
  }

  @Test
  void paddedBtvWithIntTargetsMatchesHeapPath() {
    int b = 3;
    int t = 4;
    Problem p = Problem.random(11, b * t, 29);
    float[] c = {0.7f, 1.3f, 0.2f};
    int[] off = {0, 4, 8, 12};
    float[] refGrad = new float[p.z().length];
    LossResult ref = FusedLoss.forwardBackward(p.z(), p.v(), p.y(), off, c, SPEC, refGrad);

    INDArray logits = p.logits().reshape('c', b, t, p.v());
    Nd4jBatch batch = Nd4jBatch.padded(logits, Nd4j.createFromArray(p.y()).reshape('c', b, t));
    assertSameStats(ref.stats(), Nd4jLoss.forward(batch, SPEC));
    INDArray grad = Nd4j.create(DataType.FLOAT, b, t, p.v());
    Nd4jResult r = Nd4jLoss.forwardBackward(batch, c, SPEC, grad);
    assertEquals(ref.total(), r.total(), 0.0);
    assertArrayEquals(refGrad, grad.reshape(-1).toFloatVector());
    Nd4jLoss.forwardBackward(batch, Nd4j.createFromArray(c), SPEC, null);
    assertArrayEquals(refGrad, logits.reshape(-1).toFloatVector(), "in place");
  }

  @Test
  void viewWithOffsetAndRowStrideIsReadInPlace() {
    // A [rows, V] view into the middle of a wider [rows + 2, V + 5] array: offset (1, 2), row
    // stride V + 5. NaN outside the view poisons any misread.
    Problem p = Problem.random(12, 7, 13);
    int[] off = {0, 3, 3, 7}; // an empty sample in the middle
    INDArray wide =
        Nd4j.valueArrayOf(new long[] {p.rows() + 2, p.v() + 5}, Float.NaN, DataType.FLOAT);
    INDArray view =
        wide.get(NDArrayIndex.interval(1, p.rows() + 1), NDArrayIndex.interval(2, 2 + p.v()));
    view.assign(p.logits());
    assertTrue(view.isView());
    Nd4jBatch batch = Nd4jBatch.of(view, Nd4j.createFromArray(p.y()).castTo(DataType.INT64),
        Nd4j.createFromArray(off));
    assertEquals(p.v() + 5, batch.rowStride());
    float[] c = {1f, 2f, 0.5f};
    float[] refGrad = new float[p.z().length];
    LossResult ref = FusedLoss.forwardBackward(p.z(), p.v(), p.y(), off, c, SPEC, refGrad);
    assertSameStats(ref.stats(), Nd4jLoss.forward(batch, SPEC));
    Nd4jResult r = Nd4jLoss.forwardBackward(batch, c, SPEC, null);
    assertEquals(ref.total(), r.total(), 0.0);
    assertArrayEquals(refGrad, view.dup('c').reshape(-1).toFloatVector());
    assertTrue(Float.isNaN(wide.getFloat(0, 0)) && Float.isNaN(wide.getFloat(1, 1)),
        "memory outside the view untouched");
  }


  @Test
  void causalShiftsTargets() {
    SplittableRandom rnd = new SplittableRandom(13);
    int b = 2;
    int t = 5;
    int v = 17;
    float[] z = randomLogits(rnd, b * t * v);
    long[] tokens = new long[b * t];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = rnd.nextInt(v);
    }
    int[] shifted = new int[b * t];
    for (int s = 0; s < b; s++) {
      for (int j = 0; j < t; j++) {
        shifted[s * t + j] = j + 1 < t ? (int) tokens[s * t + j + 1] : -100;
      }
    }
    SampleStats ref = FusedLoss.forward(z, v, shifted, new int[] {0, t, 2 * t}, SPEC);
    Nd4jBatch batch = Nd4jBatch.causal(Nd4j.createFromArray(z).reshape('c', b, t, v),
        Nd4j.createFromArray(tokens).reshape('c', b, t), -100);
    assertSameStats(ref, Nd4jLoss.forward(batch, SPEC));
  }

  @Test
  void bf16LogitsMatchTheHeapBf16Path() {
    Problem p = Problem.random(14, 9, 45);
    int[] off = {0, 5, 9};
    INDArray bf = p.logits().castTo(DataType.BFLOAT16);
    short[] bits = new short[p.z().length];
    new org.bytedeco.javacpp.ShortPointer(bf.data().addressPointer()).get(bits);
    float[] c = {0.6f, 1.4f};
    short[] refGrad = new short[bits.length];
    LossResult ref = FusedLoss.forwardBackward(bits, p.v(), p.y(), off, c, SPEC, refGrad);
    Nd4jBatch batch = Nd4jBatch.of(bf, Nd4j.createFromArray(p.y()), Nd4j.createFromArray(off));
    assertSameStats(ref.stats(), Nd4jLoss.forward(batch, SPEC));
    Nd4jResult r = Nd4jLoss.forwardBackward(batch, c, SPEC, null);
    assertEquals(ref.total(), r.total(), 0.0);
    short[] got = new short[bits.length];
    new org.bytedeco.javacpp.ShortPointer(bf.data().addressPointer()).get(got);
    assertArrayEquals(refGrad, got, "bf16 gradient written over the logits");
  }


  @Test
  void fOrderDoubleAndBadTargetsAreRejected() {
    INDArray fOrder = Nd4j.create(DataType.FLOAT, new long[] {4, 6}, 'f');
    INDArray y = Nd4j.createFromArray(new long[4]);
    INDArray off = Nd4j.createFromArray(new long[] {0, 4});
    IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
        () -> Nd4jBatch.of(fOrder, y, off));
    assertTrue(e1.getMessage().startsWith("logits [4, 6] (ordering f"), e1.getMessage());
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
        () -> Nd4jBatch.of(Nd4j.create(DataType.DOUBLE, 4, 6), y, off));
    assertTrue(e2.getMessage().startsWith("logits data type DOUBLE"), e2.getMessage());
    IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
        () -> Nd4jBatch.of(Nd4j.create(DataType.FLOAT, 4, 6), Nd4j.create(DataType.FLOAT, 4),
            off));
    assertTrue(e3.getMessage().startsWith("targets data type FLOAT"), e3.getMessage());
    IllegalArgumentException e4 = assertThrows(IllegalArgumentException.class,
        () -> Nd4jBatch.of(Nd4j.create(DataType.FLOAT, 4, 6), Nd4j.createFromArray(new long[3]),
            off));
    assertTrue(e4.getMessage().startsWith("targets has 3 elements"), e4.getMessage());
    Nd4jBatch ok = Nd4jBatch.of(Nd4j.create(DataType.FLOAT, 4, 6), y, off);
    IllegalArgumentException e5 = assertThrows(IllegalArgumentException.class,
        () -> Nd4jLoss.forwardBackward(ok, new float[] {1f}, SPEC,
            Nd4j.create(DataType.FLOAT, 6, 4)));
    assertTrue(e5.getMessage().startsWith("grad [6, 4]"), e5.getMessage());
    assertEquals("[4, 6]", Arrays.toString(ok.logits().shape()));
  }
}
