package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import dev.reweigh.LossResult;
import dev.reweigh.SampleStats;
import java.util.function.Supplier;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Guards that see wrong outputs (Lucene VectorUtilBenchmark habit: a benchmark that silently
 * computes garbage is worse than none).
 *
 * <p>In setup, {@link #reference} runs the operation once on one thread and keeps every
 * per-sample loss and a sample of gradient rows (the first two, the two around the middle, the
 * last two: the edges of the pool's chunks). Those gradient rows are checked against a float64
 * softmax of the logits, g_v = k (p_v - [v == y]) with one k > 0 per row, element by element
 * relative to p_v. The gradient buffer is then filled with NaN, so a row the measured calls never
 * write stays NaN. Once per trial, {@link #check} compares the last measured call with the
 * reference: per-sample losses and gradient rows bit for bit, since results do not depend on the
 * thread count (docs/design.md §3). A kernel that skips rows, writes the wrong row or changes its
 * math under threads fails the trial.
 */
final class Guard {
  private Guard() {}

  /** What a trial's outputs must equal. */
  static final class Reference {
    final float[] loss;
    final int[] rows;
    final float[][] grad;

    Reference(float[] loss, int[] rows, float[][] grad) {
      this.loss = loss;
      this.rows = rows;
      this.grad = grad;
    }
  }

  static Reference reference(BenchData d, Supplier<SampleStats> call) {
    int before = Capabilities.threads();
    SampleStats st;
    Capabilities.setThreads(1);
    try {
      st = call.get();
    } finally {
      Capabilities.setThreads(before);
    }
    float[] loss = null;
    if (st != null) {
      loss = losses(st);
      for (int s = 0; s < loss.length; s++) {
        if (!(loss[s] > 0 && loss[s] < 100)) {
          throw new IllegalStateException("sample " + s + " loss = " + loss[s] + " (random logits"
              + " give about log V): kernel output is wrong");
        }
      }
    }
    int[] rows = sampleRows(d.shape.rows);
    float[][] grad = null;
    if (d.grad != null) {
      grad = new float[rows.length][];
      for (int i = 0; i < rows.length; i++) {
        grad[i] = gradRow(d, rows[i]);
        softmaxShape(d, rows[i], grad[i]);
      }
      Pointer.memset(d.grad, 0xff, d.logitBytes()); // NaN in fp32 and in bf16
    }
    return new Reference(loss, rows, grad);
  }

  /** The last measured call's outputs against the reference; st null when the op returns none. */
  static void check(BenchData d, Reference ref, SampleStats st) {
    checkLosses(ref, st);
    checkGradient(d, ref);
  }

  /** Per-sample losses bit for bit (nothing to check when the reference op returns none). */
  static void checkLosses(Reference ref, SampleStats st) {
    if (ref.loss != null) {
      if (st == null) {
        throw new IllegalStateException("no measured call returned statistics");
      }
      float[] loss = losses(st);
      for (int s = 0; s < loss.length; s++) {
        if (Float.floatToIntBits(loss[s]) != Float.floatToIntBits(ref.loss[s])) {
          throw new IllegalStateException("sample " + s + " loss = " + loss[s] + ", the one-thread"
              + " reference gave " + ref.loss[s]);
        }
      }
    }
  }

  /** The sampled gradient rows of d.grad bit for bit. */
  static void checkGradient(BenchData d, Reference ref) {
    if (ref.grad != null) {
      for (int i = 0; i < ref.rows.length; i++) {
        float[] g = gradRow(d, ref.rows[i]);
        for (int v = 0; v < g.length; v++) {
          if (Float.floatToIntBits(g[v]) != Float.floatToIntBits(ref.grad[i][v])) {
            throw new IllegalStateException("gradient[" + ref.rows[i] + ", " + v + "] = " + g[v]
                + ", the one-thread reference gave " + ref.grad[i][v]);
          }
        }
      }
    }
  }

  /** O(1) per call, for probes that time calls back to back: the first sample's loss is positive. */
  static void cheap(SampleStats st) {
    if (!(st.loss(0) > 0)) {
      throw new IllegalStateException("loss(0) = " + st.loss(0));
    }
  }

  static void cheap(LossResult r) {
    cheap(r.stats());
  }

  static float[] losses(SampleStats st) {
    float[] l = new float[st.samples()];
    for (int s = 0; s < l.length; s++) {
      l[s] = (float) st.loss(s);
    }
    return l;
  }

  static int[] sampleRows(int rows) {
    int[] want = {0, 1, rows / 2 - 1, rows / 2, rows - 2, rows - 1};
    return java.util.Arrays.stream(want).filter(r -> r >= 0 && r < rows).distinct().toArray();
  }

  static float[] gradRow(BenchData d, int row) {
    int vocab = d.shape.vocab;
    float[] g = new float[vocab];
    long at = (long) row * vocab;
    if (d.grad instanceof FloatPointer) {
      FloatPointer p = (FloatPointer) d.grad;
      for (int v = 0; v < vocab; v++) {
        g[v] = p.get(at + v);
      }
    } else {
      ShortPointer p = (ShortPointer) d.grad;
      for (int v = 0; v < vocab; v++) {
        g[v] = BenchData.fromBf16(p.get(at + v));
      }
    }
    return g;
  }

  /**
   * g = k (p - onehot(y)) for one k > 0, p the float64 softmax of the row (the default LossSpec:
   * no smoothing, z-loss, scale or softcap); each element within tol * k * (p_v + [v == y]).
   */
  static void softmaxShape(BenchData d, int row, float[] g) {
    int vocab = d.shape.vocab;
    int y = d.targetsHeap[row];
    double[] z = new double[vocab];
    double max = Double.NEGATIVE_INFINITY;
    long at = (long) row * vocab;
    for (int v = 0; v < vocab; v++) {
      z[v] = d.logits instanceof FloatPointer ? ((FloatPointer) d.logits).get(at + v)
          : BenchData.fromBf16(((ShortPointer) d.logits).get(at + v));
      max = Math.max(max, z[v]);
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      z[v] = Math.exp(z[v] - max);
      sum += z[v];
    }
    double py = z[y] / sum;
    double k = g[y] / (py - 1);
    // fp32: a few ulp of exp plus the row sums; bf16: the gradient's own rounding (2^-9).
    double tol = d.elementSize() == 4 ? 1e-4 : 8e-3;
    if (!(k > 0 && k < Double.MAX_VALUE)) {
      throw new IllegalStateException("gradient row " + row + ": target entry " + g[y]
          + " is not k (p_y - 1) with k > 0");
    }
    for (int v = 0; v < vocab; v++) {
      double p = z[v] / sum;
      double want = k * (p - (v == y ? 1 : 0));
      if (!(Math.abs(g[v] - want) <= tol * k * (p + (v == y ? 1 : 0)) + 1e-30)) {
        throw new IllegalStateException("gradient[" + row + ", " + v + "] = " + g[v] + ", float64"
            + " softmax gives " + want + " (k = " + k + ")");
      }
    }
  }
}
