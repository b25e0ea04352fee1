package dev.reweigh;

import static dev.reweigh.testkit.Reference64.toDoubles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.testkit.Close;
import dev.reweigh.testkit.OptionGrid;
import dev.reweigh.testkit.RefOptions;
import dev.reweigh.testkit.Reference64;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link TokenLoss#backward} (per-row loss weights w_r and entropy weights beta_r) against central
 * finite differences, in float64, of the total written from the class comment:
 *
 * <pre>
 *   total = sum_s c_s red_s( sum_r w_r rowLoss_r + beta_r H_r ) / D
 * </pre>
 *
 * over every option set, on fp32 and bf16 heap arrays and on a {@link NativeBatch}; then the
 * argument checks.
 */
class TokenLossTest {

  static Iterable<String> names() {
    return OptionGrid.KERNEL_LABELS;
  }

  /** The total of the class comment in float64, from the definitions of rowLoss and H alone. */
  static double total(double[] z, int vocab, int[] targets, int[] offsets, double[] c,
      double[] w, double[] beta, RefOptions spec) {
    int samples = offsets.length - 1;
    int[] counts = new int[samples];
    double[] perSample = new double[samples];
    for (int s = 0; s < samples; s++) {
      for (int r = offsets[s]; r < offsets[s + 1]; r++) {
        if (targets[r] == spec.ignoreIndex()) {
          continue;
        }
        counts[s]++;
        double[] zp = new double[vocab];
        double m = Double.NEGATIVE_INFINITY;
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
          zp[v] = Reference64.transform(z[r * vocab + v], spec);
          m = Math.max(m, zp[v]);
          sum += zp[v];
        }
        double d = 0;
        for (int v = 0; v < vocab; v++) {
          d += Math.exp(zp[v] - m);
        }
        double lse = m + Math.log(d);
        double entropy = 0;
        for (int v = 0; v < vocab; v++) {
          double logp = zp[v] - lse;
          entropy -= Math.exp(logp) * logp;
        }
        double eps = spec.eps();
        double loss = -(zp[targets[r]] - lse);
        if (eps > 0) {
          loss = (1 - eps) * loss + eps * (lse - sum / vocab);
        }
        loss += spec.lambda() * lse * lse;
        perSample[s] += w[r] * loss + (beta == null ? 0 : beta[r] * entropy);
      }
    }
    double dnorm = Reference64.normalizer(spec, counts, c);
    if (dnorm == 0) {
      return 0;
    }
    double t = 0;
    for (int s = 0; s < samples; s++) {
      if (counts[s] > 0) {
        t += c[s] * perSample[s] / (spec.sum() ? 1 : counts[s]);
      }
    }
    return t / dnorm;
  }

  static double[] finiteDifferences(double[] z, int vocab, int[] targets, int[] offsets,
      double[] c, double[] w, double[] beta, RefOptions spec) {
    double[] fd = new double[z.length];
    double[] zz = z.clone();
    for (int i = 0; i < z.length; i++) {
      double h = 1e-5 * Math.max(1, Math.abs(z[i]));
      zz[i] = z[i] + h;
      double up = total(zz, vocab, targets, offsets, c, w, beta, spec);
      zz[i] = z[i] - h;
      double down = total(zz, vocab, targets, offsets, c, w, beta, spec);
      zz[i] = z[i];
      fd[i] = (up - down) / (2 * h);
    }
    return fd;
  }

  private record Case(TestBatch b, float[] w, float[] beta, double[] fd, double scale) {}

  private static Case makeCase(String name, boolean bf16Values, long seed) {
    LossSpec spec = OptionGrid.kernel(name).spec();
    TestBatch raw = TestBatch.random(seed, 9, 13, 2.0,
        spec.normalization() != Normalization.WEIGHT_SUM);
    float[] logits = raw.logits.clone();
    if (bf16Values) {
      for (int i = 0; i < logits.length; i++) {
        logits[i] = Bf16Test.fromBf16(Bf16Test.toBf16(logits[i]));
      }
    }
    TestBatch b = TestBatch.of(raw.vocab, logits, raw.targets, raw.offsets, raw.coefficients);
    Random rnd = new Random(seed + 1);
    float[] w = new float[b.rows];
    float[] beta = new float[b.rows];
    for (int r = 0; r < b.rows; r++) {
      w[r] = r % 4 == 3 ? 0f : (float) (4 * rnd.nextDouble() - 2); // signed, some exactly 0
      beta[r] = (float) (rnd.nextDouble() - 0.5);
    }
    double[] fd = finiteDifferences(toDoubles(logits), b.vocab, b.targets, b.offsets,
        toDoubles(b.coefficients), toDoubles(w), toDoubles(beta), OptionGrid.kernel(name).o());
    double scale = 0;
    for (double v : fd) {
      scale = Math.max(scale, Math.abs(v));
    }
    return new Case(b, w, beta, fd, Math.max(scale, 1e-30));
  }

  /** A case under the option set's spec, its forward statistics and its fp32 heap gradient. */
  private record HeapRun(Case k, LossSpec spec, SampleStats st, float[] grad) {}

  private static HeapRun heapRun(String name, long seed) {
    LossSpec spec = OptionGrid.kernel(name).spec();
    Case k = makeCase(name, false, seed);
    TestBatch b = k.b();
    SampleStats st = FusedLoss.forward(b.logits, b.vocab, b.targets, b.offsets, spec);
    float[] grad = new float[b.logits.length];
    TokenLoss.backward(b.logits, b.vocab, b.targets, b.offsets, st, b.coefficients, k.w(),
        k.beta(), spec, grad);
    return new HeapRun(k, spec, st, grad);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void heapFp32MatchesFiniteDifferences(String name) {
    HeapRun run = heapRun(name, 11);
    Case k = run.k();
    // fp32 rounding of |k w| and |k beta| terms is ~1e-7 of the largest entry; FD error ~1e-10.
    Close.arrays(name + " fp32 vs finite differences", k.fd(), run.grad(), 2e-6 * k.scale(), 1e-5);
    // In place gives the same bits.
    TestBatch b = k.b();
    float[] inPlace = b.logits.clone();
    TokenLoss.backward(inPlace, b.vocab, b.targets, b.offsets, run.st(), b.coefficients, k.w(),
        k.beta(), run.spec(), inPlace);
    assertArrayEquals(run.grad(), inPlace, 0f, name + " in place");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void heapBf16MatchesFiniteDifferences(String name) {
    LossSpec spec = OptionGrid.kernel(name).spec();
    Case k = makeCase(name, true, 12);
    TestBatch b = k.b();
    short[] logits = new short[b.logits.length];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = Bf16Test.toBf16(b.logits[i]);
    }
    SampleStats st = FusedLoss.forward(logits, b.vocab, b.targets, b.offsets, spec);
    short[] grad = new short[logits.length];
    TokenLoss.backward(logits, b.vocab, b.targets, b.offsets, st, b.coefficients, k.w(),
        k.beta(), spec, grad);
    float[] g = new float[grad.length];
    for (int i = 0; i < g.length; i++) {
      g[i] = Bf16Test.fromBf16(grad[i]);
    }
    // bf16 output rounds each element to 8 significant bits (relative 2^-8).
    Close.arrays(name + " bf16 vs finite differences", k.fd(), g, 2e-6 * k.scale(), 1.0 / 256);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void nativeBatchEqualsHeap(String name) {
    HeapRun run = heapRun(name, 13);
    LossSpec spec = run.spec();
    Case k = run.k();
    TestBatch b = k.b();
    SampleStats st = run.st();
    try (FloatPointer lg = new FloatPointer(b.logits); IntPointer tg = new IntPointer(b.targets);
        IntPointer off = new IntPointer(b.offsets);
        FloatPointer grad = new FloatPointer((long) b.logits.length)) {
      NativeBatch batch = NativeBatch.builder().logits(lg, b.rows, b.vocab).targets(tg)
          .offsets(off, b.samples()).build();
      TokenLoss.backward(batch, st, b.coefficients, k.w(), k.beta(), spec,
          NativeGrad.of(grad, b.vocab));
      float[] g = new float[b.logits.length];
      grad.get(g);
      assertArrayEquals(run.grad(), g, 0f, name + " native batch vs heap");
      // Everything by address, no entropy term: equals the heap call without beta.
      try (FloatPointer lse = new FloatPointer(st.rowLse());
          FloatPointer c = new FloatPointer(b.coefficients); FloatPointer w = new FloatPointer(k.w())) {
        TokenLoss.backward(batch, lse.address(), 0L, c.address(), w.address(), 0L, spec,
            NativeGrad.of(grad, b.vocab));
        grad.get(g);
        float[] noEntropy = new float[b.logits.length];
        TokenLoss.backward(b.logits, b.vocab, b.targets, b.offsets, st, b.coefficients, k.w(),
            null, spec, noEntropy);
        assertArrayEquals(noEntropy, g, 0f, name + " addresses vs heap without beta");
      }
    }
  }

  // ---- bad input ----------------------------------------------------------------------------

  private static IllegalArgumentException rejects(TestBatch b, SampleStats st, float[] w,
      float[] beta, float[] grad) {
    return assertThrows(IllegalArgumentException.class, () -> TokenLoss.backward(b.logits,
        b.vocab, b.targets, b.offsets, st, b.coefficients, w, beta, LossSpec.defaults(), grad));
  }

  private static void expectMessage(IllegalArgumentException e, String needle) {
    assertTrue(e.getMessage().contains(needle), "message '" + e.getMessage() + "' lacks " + needle);
  }

  @Test
  void badRowWeightsNameTheIndexAndLeaveGradUntouched() {
    TestBatch b = TestBatch.random(5, 6, 7, 1.0, false);
    SampleStats st = FusedLoss.forward(b.logits, b.vocab, b.targets, b.offsets,
        LossSpec.defaults());
    float[] grad = new float[b.logits.length];
    java.util.Arrays.fill(grad, -9f);
    float[] w = new float[b.rows];
    w[4] = Float.NaN;
    expectMessage(rejects(b, st, w, null, grad), "rowWeights[4] = NaN");
    float[] beta = new float[b.rows];
    beta[2] = Float.POSITIVE_INFINITY;
    expectMessage(rejects(b, st, new float[b.rows], beta, grad), "rowEntropyWeights[2]");
    expectMessage(rejects(b, st, new float[b.rows + 1], null, grad), "rowWeights.length = 7");
    expectMessage(rejects(b, st, null, null, grad), "rowWeights is null");
    expectMessage(rejects(b, st, new float[b.rows], new float[3], grad),
        "rowEntropyWeights.length = 3");
    // vocab 1: a [rows] array can be both the row weights and the gradient.
    TestBatch one = TestBatch.random(8, 6, 1, 1.0, false);
    SampleStats st1 = FusedLoss.forward(one.logits, 1, one.targets, one.offsets,
        LossSpec.defaults());
    float[] alias = new float[one.rows];
    expectMessage(assertThrows(IllegalArgumentException.class, () -> TokenLoss.backward(
        one.logits, 1, one.targets, one.offsets, st1, one.coefficients, alias, null,
        LossSpec.defaults(), alias)), "grad is also an input");
    SampleStats other = FusedLoss.forward(new float[b.vocab], b.vocab, new int[] {0},
        new int[] {0, 1}, LossSpec.defaults());
    expectMessage(rejects(b, other, new float[b.rows], null, grad), "stats has 1 rows");
    for (float g : grad) {
      assertTrue(g == -9f, "grad written on rejected input");
    }
  }

  @Test
  void nativeRejectsRowEntropyMissingByAddress() {
    TestBatch b = TestBatch.random(6, 4, 5, 1.0, false);
    try (FloatPointer lg = new FloatPointer(b.logits); IntPointer tg = new IntPointer(b.targets);
        IntPointer off = new IntPointer(b.offsets);
        FloatPointer grad = new FloatPointer((long) b.logits.length);
        FloatPointer row = new FloatPointer(b.rows); FloatPointer c = new FloatPointer(b.coefficients)) {
      NativeBatch batch = NativeBatch.builder().logits(lg, b.rows, b.vocab).targets(tg)
          .offsets(off, b.samples()).build();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> TokenLoss.backward(batch, row.address(), 0L, c.address(), row.address(),
              row.address(), LossSpec.defaults(), NativeGrad.of(grad, b.vocab)));
      expectMessage(e, "rowEntropy address is 0");
    }
  }
}
