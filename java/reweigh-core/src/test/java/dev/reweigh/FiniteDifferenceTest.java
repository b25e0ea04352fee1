package dev.reweigh;

import dev.reweigh.testkit.Close;
import dev.reweigh.testkit.OptionGrid;
import dev.reweigh.testkit.RefOptions;
import dev.reweigh.testkit.Reference64;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernel's gradient against central finite differences of the float64 objective
 * (docs/design.md §3, evaluated by {@link Reference64#total}), on small shapes, for every option
 * set. This checks the analytic gradient independently of the reference's own gradient formula.
 */
class FiniteDifferenceTest {

  static java.util.List<String> optionSets() {
    return OptionGrid.KERNEL_LABELS;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optionSets")
  void gradientMatchesCentralDifferences(String options) {
    LossSpec spec = OptionGrid.kernel(options).spec();
    RefOptions o = OptionGrid.kernel(options).o();
    int vocab = 11;
    // Signed coefficients (DPO) wherever the contract allows them: not under WEIGHT_SUM.
    boolean signed = spec.normalization() != Normalization.WEIGHT_SUM;
    TestBatch b = TestBatch.random(options.hashCode(), 9, vocab, 2.0, signed);
    double[] z = new double[b.logits.length];
    for (int i = 0; i < z.length; i++) {
      z[i] = b.logits[i]; // the float32 point, exactly, so both sides differentiate at one place
    }
    double[] c = new double[b.coefficients.length];
    for (int i = 0; i < c.length; i++) {
      c[i] = b.coefficients[i];
    }
    float[] grad = new float[z.length];
    FusedLoss.forwardBackward(b.logits, vocab, b.targets, b.offsets, b.coefficients, spec, grad);

    // h = 1e-5: truncation error O(h^2 * f''') ~ 1e-10, rounding O(u64 / h) ~ 1e-11.
    double h = 1e-5;
    double[] fd = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      double saved = z[i];
      z[i] = saved + h;
      double up = Reference64.total(z, vocab, b.targets, b.offsets, c, o);
      z[i] = saved - h;
      double down = Reference64.total(z, vocab, b.targets, b.offsets, c, o);
      z[i] = saved;
      fd[i] = (up - down) / (2 * h);
    }
    // The kernel works in float32: its gradient elements carry absolute errors of a few float32
    // ulps of the row scale |k| <= max|c| / D, about 1e-7 here; 2e-6 absolute leaves 20x margin.
    Close.arrays("grad vs finite differences", fd, grad, 2e-6, 1e-4);
  }
}
