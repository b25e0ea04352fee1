package dev.reweigh;

import static dev.reweigh.testkit.Reference64.toDoubles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.reweigh.testkit.Close;
import dev.reweigh.testkit.OptionGrid;
import dev.reweigh.testkit.RefOptions;
import dev.reweigh.testkit.Reference64;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every output of forward and forwardBackward, on every CPU variant, against the float64
 * {@link Reference64}.
 *
 * <p>Grid rationale (docs/style.md §5): vocabularies 1 (degenerate), 7 / 15 / 17 / 31 / 33 (the
 * tails around the 8- and 16-lane vector widths and the 2x-unrolled loops), 16 (exactly one AVX-512
 * vector), 1000, 32000 (Llama 2), 128256 (Llama 3) and 262144 (the "up to 256k" promise); rows 0
 * (empty), 1, 3 and 289 (odd, many chunks of the thread pool) where the reference stays fast.
 * Option sets cover each option alone and all of them together.
 *
 * <p>Tolerances: the kernels accumulate a row in float32 over about V / lanes terms per
 * accumulator, so the expected error grows like sqrt(V) * 6e-8 (random rounding) relative to the
 * row's sums; {@link #statTol} allows 1e-5 relative, scaled by sqrt(V) / 32 above V = 1024.
 */
class FusedLossReferenceTest {

  static final int[] VOCABS = {1, 7, 15, 16, 17, 31, 33, 1000, 32000, 128256, 262144};

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    long seed = 1;
    for (String isa : Isa.ALL) {
      for (int vocab : VOCABS) {
        for (int rows : new int[] {0, 1, 3, 289}) {
          if ((long) rows * vocab > 1_200_000 && rows > 3) {
            continue; // keeps the float64 reference fast; V >= 32000 is covered by 1 and 3 rows
          }
          for (String options : OptionGrid.KERNEL_LABELS) {
            out.add(Arguments.of(isa, vocab, rows, options, seed++));
          }
        }
      }
    }
    return out.stream();
  }

  /** A few float32 ulps (2^-23 = 1.2e-7): rounding of the terms of size 1 and of the product. */
  static final double GRAD_ULPS = 1e-6;

  static double statTol(int vocab) {
    return 1e-5 * Math.max(1.0, Math.sqrt(vocab) / 32.0);
  }

  @ParameterizedTest(name = "{0} V={1} rows={2} {3}")
  @MethodSource("cases")
  void forwardMatchesReference(String isa, int vocab, int rows, String options, long seed) {
    assumeTrue(Isa.supported().contains(isa), isa + " is not supported by this CPU/OS");
    OptionGrid.Named named = OptionGrid.kernel(options);
    LossSpec spec = named.spec();
    RefOptions o = named.o();
    TestBatch b = TestBatch.random(seed, rows, vocab, 3.0, named.negative());
    Reference64 ref = Reference64.compute(b.logits, vocab, b.targets, b.offsets, null, o);
    Isa.with(isa, () -> {
      SampleStats st = FusedLoss.forward(b.logits, vocab, b.targets, b.offsets, spec);
      double tol = statTol(vocab);
      assertEquals(b.samples(), st.samples());
      for (int s = 0; s < b.samples(); s++) {
        assertEquals(ref.tokenCount[s], st.tokenCount(s), "tokenCount[" + s + "]");
      }
      Close.arrays("loss", ref.loss, st.losses(), tol, tol);
      Close.arrays("logProbSum", ref.logProbSum, st.logProbSums(), tol * 4, tol);
      Close.arrays("meanEntropy", ref.meanEntropy, st.meanEntropies(), tol, tol);
      Close.arrays("rowLse", ref.rowLse, st.rowLse(), tol, tol);
    });
  }

  @ParameterizedTest(name = "{0} V={1} rows={2} {3}")
  @MethodSource("cases")
  void forwardBackwardMatchesReference(
      String isa, int vocab, int rows, String options, long seed) {
    assumeTrue(Isa.supported().contains(isa), isa + " is not supported by this CPU/OS");
    OptionGrid.Named named = OptionGrid.kernel(options);
    LossSpec spec = named.spec();
    RefOptions o = named.o();
    TestBatch b = TestBatch.random(seed, rows, vocab, 3.0, named.negative());
    assumeTrue(hasDenominator(b, o), "normaliser D = 0 for this random batch");
    Reference64 ref =
        Reference64.compute(b.logits, vocab, b.targets, b.offsets, b.coefficients, o);
    Isa.with(isa, () -> {
      float[] grad = new float[b.logits.length];
      LossResult r =
          FusedLoss.forwardBackward(b.logits, vocab, b.targets, b.offsets, b.coefficients, spec,
              grad);
      double tol = statTol(vocab);
      Close.scalar("total", ref.total, r.total(), tol, tol);
      Close.arrays("loss", ref.loss, r.stats().losses(), tol, tol);
      // Each element is k * (p (1 + 2 lambda lse) - (1 - eps) [v == y] - eps / V) * dz'/dz,
      // computed in float32. Its error is the relative error of p (the lse error, at most tol,
      // plus the exp's few ulps) times the p part, plus float32 ulps of the unit part, which
      // cancel when p -> 1: a bound per element relative to p, so at V = 32000 an element with
      // p ~ 1 / V is checked at its own size, not at the row's scale |k| dz'/dz.
      Close.arrays("grad", ref.grad, grad, ref.gradTolerance(tol, GRAD_ULPS, tol + 1e-6), 0);
    });
  }

  static boolean hasDenominator(TestBatch b, RefOptions o) {
    int[] counts = Reference64.compute(b.logits, b.vocab, b.targets, b.offsets, null, o).tokenCount;
    return Reference64.normalizer(o, counts, toDoubles(b.coefficients)) != 0;
  }
}
