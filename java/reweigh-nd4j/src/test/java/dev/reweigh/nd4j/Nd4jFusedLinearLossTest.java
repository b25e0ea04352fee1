package dev.reweigh.nd4j;

import static dev.reweigh.testkit.Close.relativeToMax;
import static dev.reweigh.testkit.Rejects.assertIae;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.LinearStats;
import dev.reweigh.LossSpec;
import dev.reweigh.testkit.OptionGrid;
import dev.reweigh.testkit.RefOptions;
import dev.reweigh.testkit.Reference64;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The ND4J fused linear + cross-entropy (docs/design.md §6) against an independent unfused
 * float64 reference: logits z = h W^T + b in float64, dTotal/dz from the test kit's {@link
 * Reference64} (written from the equations, no library code), then hand-written float64
 * gradients grad_h = G W, grad_W = G^T h, grad_b = sum_rows G.
 *
 * <p>Tolerance: z, g and the GEMMs run in float32 with other summation orders, so 2e-5 of the
 * largest reference element (the PyTorch suite's rule).
 */
class Nd4jFusedLinearLossTest {
  static final int ROWS = 23;
  static final int H = 16;
  static final int V = 40;
  /** Sample 1 is empty, sample 2 has every row ignored, sample 3 spans chunks. */
  static final int[] OFFSETS = {0, 4, 4, 7, 23};
  /** 5 rows per chunk: five chunks, the last one short. */
  static final long CHUNK_F32 = 5L * V * 4;

  /** hidden [ROWS, H], weight [V, H], bias [V], targets (rows 4..6 and some others ignored). */
  static final class Problem {
    final float[] h;
    final float[] w;
    final float[] b;
    final int[] y;
    final float[] c;

    Problem(long seed, boolean negative, long ignore) {
      SplittableRandom rnd = new SplittableRandom(seed);
      h = random(rnd, ROWS * H, 1.0);
      w = random(rnd, V * H, 0.8);
      b = random(rnd, V, 0.5);
      y = new int[ROWS];
      for (int r = 0; r < ROWS; r++) {
        y[r] = (r >= 4 && r < 7) || rnd.nextInt(6) == 0 ? (int) ignore : rnd.nextInt(V);
      }
      c = new float[] {1.5f, 0.7f, 2.0f, negative ? -0.6f : 0.4f};
    }

    Nd4jLinearHead head(DataType dtype, boolean withBias) {
      return Nd4jLinearHead.of(matrix(h, ROWS, H, dtype), matrix(w, V, H, dtype),
          withBias ? Nd4j.createFromArray(b).castTo(dtype) : null, longs(y), longs(OFFSETS));
    }

    /** The unfused float64 reference on the head's values (bf16-rounded for a bf16 head). */
    Ref reference(float[] coefficients, RefOptions o, DataType dtype, boolean withBias) {
      return new Ref(round(h, dtype), round(w, dtype), withBias ? round(b, dtype) : null, y,
          coefficients, o);
    }
  }

  /** Unfused float64: z = h W^T + b, G = dTotal/dz (Reference64), then the three projections. */
  static final class Ref {
    final Reference64 r;
    final double[] gradH = new double[ROWS * H];
    final double[] gradW = new double[V * H];
    final double[] gradB = new double[V];

    Ref(double[] h, double[] w, double[] b, int[] y, float[] c, RefOptions o) {
      double[] z = new double[ROWS * V];
      for (int i = 0; i < ROWS; i++) {
        for (int v = 0; v < V; v++) {
          double s = b == null ? 0 : b[v];
          for (int k = 0; k < H; k++) {
            s += h[i * H + k] * w[v * H + k];
          }
          z[i * V + v] = s;
        }
      }
      double[] cd = new double[c.length];
      for (int s = 0; s < c.length; s++) {
        cd[s] = c[s];
      }
      r = Reference64.compute(z, V, y, OFFSETS, cd, o, false);
      for (int i = 0; i < ROWS; i++) {
        for (int v = 0; v < V; v++) {
          double g = r.grad[i * V + v];
          gradB[v] += g;
          for (int k = 0; k < H; k++) {
            gradH[i * H + k] += g * w[v * H + k];
            gradW[v * H + k] += g * h[i * H + k];
          }
        }
      }
    }
  }

  static float[] random(SplittableRandom rnd, int n, double scale) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
    }
    return x;
  }

  static INDArray matrix(float[] x, int rows, int cols, DataType dtype) {
    return Nd4j.createFromArray(x).reshape('c', rows, cols).castTo(dtype);
  }

  static INDArray longs(int[] x) {
    long[] l = new long[x.length];
    for (int i = 0; i < x.length; i++) {
      l[i] = x[i];
    }
    return Nd4j.createFromArray(l);
  }

  /** The values a head of {@code dtype} holds, in float64. */
  static double[] round(float[] x, DataType dtype) {
    INDArray a = Nd4j.createFromArray(x).castTo(dtype).castTo(DataType.DOUBLE);
    return a.toDoubleVector();
  }

  static double[] doubles(INDArray a) {
    return a.castTo(DataType.DOUBLE).reshape(a.length()).toDoubleVector();
  }

  static void closeStats(Reference64 r, LinearStats st, double rel) {
    relativeToMax("loss", r.loss, st.losses(), rel);
    relativeToMax("logProbSum", r.logProbSum, st.logProbSums(), rel);
    relativeToMax("meanEntropy", r.meanEntropy, st.meanEntropies(), rel);
    for (int s = 0; s < r.tokenCount.length; s++) {
      assertEquals(r.tokenCount[s], st.tokenCount(s), "tokenCount[" + s + "]");
    }
  }

  static Stream<Arguments> optionSets() {
    List<OptionGrid.Named> sets = new ArrayList<>(OptionGrid.KERNEL);
    sets.add(new OptionGrid.Named("ignoreIndex -1, NONE", RefOptions.DEFAULTS.ignore(-1)
        .mode(RefOptions.Mode.NONE), true));
    List<Arguments> out = new ArrayList<>();
    for (OptionGrid.Named n : sets) {
      out.add(Arguments.of(n));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optionSets")
  void matchesTheUnfusedFloat64Reference(OptionGrid.Named set) {
    double rel = 2e-5;
    Problem p = new Problem(3, set.negative(), set.o().ignoreIndex());
    Ref ref = p.reference(p.c, set.o(), DataType.FLOAT, true);
    Nd4jLinearResult r = Nd4jFusedLinearLoss.forwardBackward(p.head(DataType.FLOAT, true), p.c,
        set.spec(), CHUNK_F32);
    assertEquals(5, r.chunkRows());
    assertEquals(ref.r.total, r.total(), rel * Math.max(1, Math.abs(ref.r.total)), "total");
    closeStats(ref.r, r.stats(), rel);
    relativeToMax("grad hidden", ref.gradH, doubles(r.gradHidden()), rel);
    relativeToMax("grad weight", ref.gradW, doubles(r.gradWeight()), rel);
    relativeToMax("grad bias", ref.gradB, doubles(r.gradBias()), rel);
  }

  /** Two phases: coefficients from the forward statistics (exp(-loss), as in IWSI). */
  @Test
  void twoPhaseMatchesTheReference() {
    Problem p = new Problem(7, false, -100);
    LossSpec spec = LossSpec.builder().labelSmoothing(0.1f).build();
    RefOptions o = RefOptions.DEFAULTS.eps(0.1);
    // The weight in F order (the GEMMs read it in place) and hidden as a strided view (copied
    // once into C order).
    INDArray wide = Nd4j.zeros(DataType.FLOAT, ROWS, H + 3);
    wide.get(NDArrayIndex.all(), NDArrayIndex.interval(1, H + 1))
        .assign(matrix(p.h, ROWS, H, DataType.FLOAT));
    Nd4jLinearHead head = Nd4jLinearHead.of(
        wide.get(NDArrayIndex.all(), NDArrayIndex.interval(1, H + 1)),
        matrix(p.w, V, H, DataType.FLOAT).dup('f'), null, longs(p.y), longs(OFFSETS));
    Nd4jLinearForward fwd = Nd4jFusedLinearLoss.forward(head, spec, CHUNK_F32);
    float[] c = new float[p.c.length];
    for (int s = 0; s < c.length; s++) {
      c[s] = (float) Math.exp(-fwd.stats().loss(s));
    }
    Ref ref = p.reference(c, o, DataType.FLOAT, false);
    closeStats(ref.r, fwd.stats(), 2e-5);
    relativeToMax("rowLse", ref.r.rowLse, doubles(fwd.rowLse()), 2e-5);
    Nd4jLinearResult r = Nd4jFusedLinearLoss.backward(fwd, c, CHUNK_F32);
    assertEquals(ref.r.total, r.total(), 2e-5 * Math.max(1, Math.abs(ref.r.total)), "total");
    assertNull(r.gradBias());
    relativeToMax("grad hidden", ref.gradH, doubles(r.gradHidden()), 2e-5);
    relativeToMax("grad weight", ref.gradW, doubles(r.gradWeight()), 2e-5);
  }

  /**
   * Coefficients {3, 1, 1, -1}: the weighted weight gradient is no scaling of the unweighted one
   * (the residual of the best least-squares scaling is over 30 %), and the fused path gives the
   * weighted one.
   */
  @Test
  void coefficientsEnterBeforeTheWeightGradientProjection() {
    Problem p = new Problem(11, true, -100);
    RefOptions o = RefOptions.DEFAULTS.mode(RefOptions.Mode.NONE);
    float[] c = {3.0f, 1.0f, 1.0f, -1.0f};
    Ref weighted = p.reference(c, o, DataType.FLOAT, false);
    Ref plain = p.reference(new float[] {1, 1, 1, 1}, o, DataType.FLOAT, false);
    double dot = 0;
    double uu = 0;
    double ww = 0;
    for (int i = 0; i < weighted.gradW.length; i++) {
      dot += weighted.gradW[i] * plain.gradW[i];
      uu += plain.gradW[i] * plain.gradW[i];
      ww += weighted.gradW[i] * weighted.gradW[i];
    }
    double alpha = dot / uu;
    double residual = 0;
    for (int i = 0; i < weighted.gradW.length; i++) {
      residual += Math.pow(weighted.gradW[i] - alpha * plain.gradW[i], 2);
    }
    assertTrue(Math.sqrt(residual / ww) > 0.3,
        "relative residual " + Math.sqrt(residual / ww) + ": the case does not discriminate");
    Nd4jLinearResult r = Nd4jFusedLinearLoss.forwardBackward(p.head(DataType.FLOAT, false), c,
        o.spec(), CHUNK_F32);
    relativeToMax("weighted grad weight", weighted.gradW, doubles(r.gradWeight()), 2e-5);
  }

  /**
   * Weight tied to the input embedding: hidden = tanh(E[ids]), W = E. The head's term goes into
   * E's gradient array, then the caller sends grad_hidden back through the embedding into the
   * same array; the sum equals the float64 chain rule over both uses of E.
   */
  @Test
  void tiedEmbeddingAccumulatesBothContributions() {
    Problem p = new Problem(5, false, -100);
    int[] ids = new int[ROWS];
    double[] h = new double[ROWS * H];
    float[] hf = new float[ROWS * H];
    for (int r = 0; r < ROWS; r++) {
      ids[r] = (r * 7) % V;
      for (int k = 0; k < H; k++) {
        hf[r * H + k] = (float) Math.tanh(p.w[ids[r] * H + k]);
        h[r * H + k] = hf[r * H + k];
      }
    }
    RefOptions o = RefOptions.DEFAULTS.lambda(1e-3).mode(RefOptions.Mode.NONE);
    Ref ref = new Ref(h, round(p.w, DataType.FLOAT), null, p.y, p.c, o);
    double[] expected = ref.gradW.clone();
    for (int r = 0; r < ROWS; r++) {
      for (int k = 0; k < H; k++) {
        expected[ids[r] * H + k] += ref.gradH[r * H + k] * (1 - h[r * H + k] * h[r * H + k]);
      }
    }

    INDArray e = matrix(p.w, V, H, DataType.FLOAT);
    INDArray gradE = Nd4j.zeros(DataType.FLOAT, V, H);
    Nd4jLinearHead head = Nd4jLinearHead.of(matrix(hf, ROWS, H, DataType.FLOAT), e, null,
        longs(p.y), longs(OFFSETS));
    Nd4jLinearResult r = Nd4jFusedLinearLoss.forwardBackward(head, p.c, o.spec(), CHUNK_F32,
        gradE);
    assertSame(gradE, r.gradWeight());
    for (int row = 0; row < ROWS; row++) {
      for (int k = 0; k < H; k++) {
        double t = hf[row * H + k];
        gradE.putScalar(ids[row], k,
            gradE.getDouble(ids[row], k) + r.gradHidden().getDouble(row, k) * (1 - t * t));
      }
    }
    relativeToMax("tied grad", expected, doubles(gradE), 2e-5);
  }

  @Test
  void badInputNamesTheArgument() {
    Problem p = new Problem(2, false, -100);
    Nd4jLinearHead head = p.head(DataType.FLOAT, false);
    assertIae(() -> Nd4jFusedLinearLoss.forwardBackward(head, new float[3], LossSpec.defaults(),
        CHUNK_F32), "coefficients.length = 3");
    assertIae(() -> Nd4jFusedLinearLoss.forwardBackward(head, p.c, LossSpec.defaults(),
        CHUNK_F32, Nd4j.zeros(DataType.FLOAT, V, H + 1)), "gradWeight [40, 17]");
    assertIae(() -> Nd4jFusedLinearLoss.forwardBackward(head, p.c, LossSpec.defaults(), 0),
        "chunkBytes = 0");
    int[] bad = p.y.clone();
    bad[9] = V;
    assertIae(() -> Nd4jFusedLinearLoss.forward(Nd4jLinearHead.of(matrix(p.h, ROWS, H,
        DataType.FLOAT), matrix(p.w, V, H, DataType.FLOAT), null, longs(bad), longs(OFFSETS)),
        LossSpec.defaults(), CHUNK_F32), "targets[9] = 40");
    assertIae(() -> Nd4jLinearHead.of(matrix(p.h, ROWS, H, DataType.FLOAT),
        matrix(p.w, V, H, DataType.DOUBLE), null, longs(p.y), longs(OFFSETS)),
        "weight data type DOUBLE");
    assertIae(() -> Nd4jLinearHead.of(matrix(p.h, ROWS, H, DataType.FLOAT),
        matrix(p.w, V, H, DataType.FLOAT), null, longs(p.y), longs(new int[] {0, 5, 3, 23})),
        "offsets[2] = 3");
    assertIae(() -> Nd4jLinearHead.of(matrix(p.h, ROWS, H, DataType.FLOAT),
        Nd4j.zeros(DataType.FLOAT, V, H - 1), null, longs(p.y), longs(OFFSETS)),
        "disagree on H");
    assertIae(() -> p.head(DataType.BFLOAT16, false), "weight data type BFLOAT16",
        "accumulates in bf16");
  }
}
