package dev.reweigh.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.reweigh.Capabilities;
import dev.reweigh.FusedLoss;
import dev.reweigh.PolicyResult;
import dev.reweigh.PolicySpec;
import dev.reweigh.TokenLoss;
import dev.reweigh.weighting.PolicyGradient;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link TorchTokenLoss#policyStep} with row tensors (the address path, CPU and CUDA) against the
 * heap-array path on the CPU, and the tensor arguments' checks. The CUDA cases run where libtorch
 * and the native library both see a GPU and are skipped otherwise; native/scripts/gpu-check.sh's
 * torch_policy step runs them and makes a missing GPU a failure.
 */
class TorchPolicyStepTest {
  private static final int B = 2;
  private static final int T = 6;
  private static final int V = 37;
  private static final int ROWS = B * T;
  private static final int[] OFFSETS = {0, T, 2 * T};
  private static final PolicySpec GRPO_KL = PolicySpec.grpo(0.2, 0.05,
      PolicyGradient.Level.SEQUENCE);

  /** Logits, labels (each sample's first row ignored) and the policy's row arrays. */
  private record Case(float[] z, long[] y, float[] oldLogp, float[] adv, float[] ref,
      float[] beta) {
    static Case make(long seed) {
      SplittableRandom rnd = new SplittableRandom(seed);
      float[] z = Tensors.randomLogits(rnd, ROWS * V, 2.0);
      long[] y = new long[ROWS];
      for (int r = 0; r < ROWS; r++) {
        y[r] = r % T == 0 ? -100 : (r * 7) % V;
      }
      float[] logp = FusedLoss.forward(z, V, Tensors.toInts(y), OFFSETS, TokenLoss.objectiveSpec())
          .rowLogp();
      float[] oldLogp = new float[ROWS];
      float[] ref = new float[ROWS];
      float[] beta = new float[ROWS];
      for (int r = 0; r < ROWS; r++) {
        // rho = e^0.5 (above 1 + eps), e^-0.5 (below 1 - eps) or near 1: with A > 0 on sample 0
        // and A < 0 on sample 1, rows clip above and below and others do not.
        double shift = r % 3 == 0 ? -0.5 : r % 3 == 1 ? 0.5 : 0.1 * rnd.nextDouble();
        oldLogp[r] = logp[r] + (float) shift;
        ref[r] = logp[r] + (float) (0.5 * rnd.nextDouble() - 0.25);
        beta[r] = (float) (0.02 * rnd.nextDouble());
      }
      float[] adv = PolicyGradient.rowAdvantages(new double[] {0.9, -0.6}, OFFSETS);
      return new Case(z, y, oldLogp, adv, ref, beta);
    }

    Tensor leaf(boolean cuda) {
      Tensor t = Tensors.floats(z, B, T, V);
      return (cuda ? t.cuda() : t).requires_grad_(true);
    }

    TorchBatch batch(Tensor leaf) {
      Tensor labels = Tensors.longs(y, B, T);
      return TorchBatch.padded(leaf, leaf.is_cuda() ? labels.cuda() : labels);
    }

    static Tensor rows(float[] v, boolean cuda, long... shape) {
      Tensor t = Tensors.floats(v, shape);
      return cuda ? t.cuda() : t;
    }
  }

  private static void assertSameResult(PolicyResult want, PolicyResult got, double tol,
      String what) {
    assertEquals(want.objective(), got.objective(), tol * (1 + Math.abs(want.objective())), what);
    assertArrayEquals(want.rowLogp(), got.rowLogp(), (float) tol * 10, what + " rowLogp");
    assertArrayEquals(want.rowEntropy(), got.rowEntropy(), (float) tol * 10, what + " rowEntropy");
    assertArrayEquals(want.rowWeights(), got.rowWeights(), (float) tol, what + " rowWeights");
    assertArrayEquals(want.rowClipped(), got.rowClipped(), what + " rowClipped");
    assertEquals(want.clippedBelow(), got.clippedBelow(), what + " clippedBelow");
    assertEquals(want.clippedAbove(), got.clippedAbove(), what + " clippedAbove");
  }

  /** The heap-array step on the CPU: the reference of every other path. */
  private static PolicyResult heapStep(Case c, Tensor leaf) {
    return TorchTokenLoss.policyStep(c.batch(leaf), TokenLoss.objectiveSpec(), GRPO_KL,
        c.oldLogp, c.adv, c.ref, c.beta, false);
  }

  @Test
  void rowTensorsOnTheCpuEqualHeapArrays() {
    Case c = Case.make(11);
    Tensor heapLeaf = c.leaf(false);
    PolicyResult want = heapStep(c, heapLeaf);
    assertTrue(want.clippedBelow() > 0 && want.clippedAbove() > 0,
        "below " + want.clippedBelow() + ", above " + want.clippedAbove());
    Tensor leaf = c.leaf(false);
    PolicyResult got = TorchTokenLoss.policyStep(c.batch(leaf), TokenLoss.objectiveSpec(), GRPO_KL,
        Case.rows(c.oldLogp, false, B, T), Case.rows(c.adv, false, ROWS),
        Case.rows(c.ref, false, B, T), Case.rows(c.beta, false, ROWS), false);
    assertSameResult(want, got, 0, "tensors vs heap arrays");
    assertArrayEquals(Tensors.toFloats(heapLeaf.grad()), Tensors.toFloats(leaf.grad()), 0f);
  }

  private static void assertRejected(Executable call, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  /** Each bad row tensor is named before any native call; required ones may not be null. */
  private static void checkArguments(Case c, boolean cuda) {
    TorchBatch batch = c.batch(c.leaf(cuda));
    Tensor old = Case.rows(c.oldLogp, cuda, ROWS);
    Tensor adv = Case.rows(c.adv, cuda, ROWS);
    assertRejected(() -> TorchTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(), GRPO_KL,
        null, adv, Case.rows(c.ref, cuda, ROWS), null, false), "oldLogp is null");
    assertRejected(() -> TorchTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(), GRPO_KL,
        old, adv, null, null, false), "refLogp is null");
    assertRejected(() -> TorchTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(), GRPO_KL,
        old, Case.rows(new float[ROWS - 1], cuda, ROWS - 1), Case.rows(c.ref, cuda, ROWS), null,
        false), "advantages has " + (ROWS - 1) + " elements");
    assertRejected(() -> TorchTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(), GRPO_KL,
        old, adv, Case.rows(c.ref, cuda, ROWS).to(ScalarType.Double), null, false),
        "refLogp dtype Double");
    Tensor strided = Case.rows(new float[2 * ROWS], cuda, ROWS, 2).select(1, 0);
    assertRejected(() -> TorchTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(), GRPO_KL,
        old, adv, Case.rows(c.ref, cuda, ROWS), strided, false),
        "entropyWeights [" + ROWS + "] with strides [2] is not contiguous");
    float[] nan = c.adv.clone();
    nan[1] = Float.NaN; // row 1 is counted: the kernel names it
    assertRejected(() -> TorchTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(), GRPO_KL,
        old, Case.rows(nan, cuda, ROWS), Case.rows(c.ref, cuda, ROWS), null, false),
        "advantages[1]");
  }

  @Test
  void rowTensorsAreCheckedNamingTheArgument() {
    Case c = Case.make(12);
    checkArguments(c, false);
    // DFT reads no row input: null tensors are fine.
    Tensor leaf = c.leaf(false);
    PolicyResult dft = TorchTokenLoss.policyStep(c.batch(leaf), TokenLoss.objectiveSpec(),
        PolicySpec.dft(), (Tensor) null, null, null, null, false);
    assertTrue(Double.isFinite(dft.objective()) && dft.objective() > 0, "" + dft.objective());
  }

  /**
   * Whether the CUDA cases can run; with {@code -Dreweigh.requireCuda=true} (gpu-check.sh) a
   * missing device fails them instead of skipping them.
   */
  private static boolean cuda() {
    boolean available = torch.cuda_is_available() && Capabilities.cudaDeviceCount() > 0;
    if (!available && Boolean.getBoolean("reweigh.requireCuda")) {
      fail("reweigh.requireCuda is set but CUDA is not usable: libtorch "
          + torch.cuda_is_available() + ", native devices " + Capabilities.cudaDeviceCount()
          + " (" + Capabilities.cudaUnavailableReason() + ")");
    }
    return available;
  }

  /** On a CUDA batch, heap arrays and device row tensors both give the CPU step's results. */
  @Test
  void cudaBatchEqualsTheCpuStep() {
    assumeTrue(cuda(), "no CUDA device visible to libtorch and the native library");
    Case c = Case.make(13);
    Tensor cpuLeaf = c.leaf(false);
    PolicyResult want = heapStep(c, cpuLeaf);
    float[] wantGrad = Tensors.toFloats(cpuLeaf.grad());

    Tensor heapLeaf = c.leaf(true);
    PolicyResult heap = heapStep(c, heapLeaf);
    assertSameResult(want, heap, 1e-6, "CUDA, heap arrays");
    assertArrayEquals(wantGrad, Tensors.toFloats(heapLeaf.grad()), 1e-6f, "CUDA, heap arrays");

    Tensor leaf = c.leaf(true);
    PolicyResult tensors = TorchTokenLoss.policyStep(c.batch(leaf), TokenLoss.objectiveSpec(),
        GRPO_KL, Case.rows(c.oldLogp, true, B, T), Case.rows(c.adv, true, ROWS),
        Case.rows(c.ref, true, ROWS), Case.rows(c.beta, true, ROWS), true);
    assertSameResult(want, tensors, 1e-6, "CUDA, device tensors, in place");
    assertArrayEquals(wantGrad, Tensors.toFloats(leaf.grad()), 1e-6f, "CUDA, in place");
  }

  @Test
  void cudaBatchChecksRowTensors() {
    assumeTrue(cuda(), "no CUDA device visible to libtorch and the native library");
    Case c = Case.make(14);
    checkArguments(c, true);
    TorchBatch batch = c.batch(c.leaf(true));
    assertRejected(() -> TorchTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(), GRPO_KL,
        Case.rows(c.oldLogp, false, ROWS), Case.rows(c.adv, true, ROWS),
        Case.rows(c.ref, true, ROWS), null, false), "oldLogp is on CPU but the logits are on");
  }
}
