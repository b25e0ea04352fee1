package dev.reweigh.bench;

import dev.reweigh.LossResult;
import dev.reweigh.SampleStats;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Cheap correctness guards (Lucene VectorUtilBenchmark habit): a benchmark that silently computes
 * garbage is worse than none. The full checks run once in setup; the per-call check is O(1).
 */
final class Guard {
  private Guard() {}

  /** Every sample's mean loss is finite and positive (random logits: about log V). */
  static void loss(SampleStats st) {
    for (int s = 0; s < st.samples(); s++) {
      double l = st.loss(s);
      if (!(l > 0 && l < 100)) {
        throw new IllegalStateException("sample " + s + " loss = " + l + ": kernel output is wrong");
      }
    }
  }

  static void cheap(SampleStats st) {
    if (!(st.loss(0) > 0)) {
      throw new IllegalStateException("loss(0) = " + st.loss(0));
    }
  }

  static void cheap(LossResult r) {
    if (!(r.total() > 0)) {
      throw new IllegalStateException("total = " + r.total());
    }
  }

  /** Row 0 of the gradient sums to 0 (softmax minus one-hot, scaled) and is not all zeros. */
  static void gradientRowsSumToZero(BenchData d) {
    int vocab = d.shape.vocab;
    double sum = 0;
    double abs = 0;
    for (int v = 0; v < vocab; v++) {
      double g = d.grad instanceof FloatPointer
          ? ((FloatPointer) d.grad).get(v)
          : BenchData.fromBf16(((ShortPointer) d.grad).get(v));
      sum += g;
      abs += Math.abs(g);
    }
    if (!(abs > 0) || Math.abs(sum) > 1e-2 * abs) {
      throw new IllegalStateException("gradient row 0 sums to " + sum + " (sum |g| = " + abs + ")");
    }
  }
}
