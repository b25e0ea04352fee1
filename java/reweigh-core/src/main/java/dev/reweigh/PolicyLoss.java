package dev.reweigh;

import static dev.reweigh.internal.Status.check;

import dev.reweigh.internal.NativeLibrary;
import dev.reweigh.nativeapi.ReweighNative;
import java.lang.ref.Reference;

/**
 * The one-pass policy-gradient step (GRPO, DAPO, PPO-clip, dynamic fine-tuning; docs/methods.md
 * §8): each counted row is read once, and in that pass its log-probability and entropy, its
 * coefficient from its own log-probability and its gradient are computed. The result equals the
 * two-phase step {@link FusedLoss#forward} -> {@code weighting.PolicyGradient} -> {@link
 * TokenLoss#backward} to float rounding and reads the logits once instead of twice.
 *
 * <p>Per counted row r of sample s ({@code n_r} = 1 / (sequences with tokens * tokens of s) under
 * SEQUENCE, 1 / tokens under TOKEN; {@code rho_r = exp(logp_r - oldLogp_r)}):
 *
 * <pre>
 *   CLIPPED  F = -sum_r n_r [ min(rho_r A_r, clip(rho_r, 1 - epsLow, 1 + epsHigh) A_r)
 *                             - beta (e^q - q - 1) ],   q = refLogp_r - logp_r
 *   DFT      F =  sum_r n_r sg(p_r) (-logp_r)
 * </pre>
 *
 * plus {@code sum_r entropyWeights_r H_r} when entropy weights are given. The gradient written is
 * {@code dF/dlogits}. The spec's label smoothing and z-loss must be 0; its ignore index, logit
 * scale, softcap and finite check apply; its reduction and normalization are not read (the
 * policy's level normalises).
 *
 * <p>Checks: every row array has one entry per row and is finite on counted rows (a NaN on an
 * ignored row is never read); messages name the array and index. Heap row arrays need a CPU batch
 * (a CUDA batch is an {@link UnsupportedOperationException}); {@link #forwardBackward(NativeBatch,
 * LossSpec, PolicySpec, NativePolicyBuffers, NativeGrad)} takes every array by address and runs
 * on CPU and CUDA batches.
 */
public final class PolicyLoss {
  private PolicyLoss() {}

  // ---- heap arrays -------------------------------------------------------------------------

  /**
   * One step on fp32 heap logits; the gradient goes to {@code grad} (may be {@code logits}).
   *
   * @param oldLogp logp under the sampling policy (CLIPPED; null for DFT)
   * @param advantages A per row (CLIPPED; null for DFT): {@code PolicyGradient.rowAdvantages}
   * @param refLogp logp under the reference; needed when {@code klCoefficient > 0}, else null
   * @param entropyWeights beta_r per row, or null (no entropy term)
   * @return the objective and the per-row results
   */
  public static PolicyResult forwardBackward(float[] logits, int vocab, int[] targets,
      int[] offsets, LossSpec spec, PolicySpec policy, float[] oldLogp, float[] advantages,
      float[] refLogp, float[] entropyWeights, float[] grad) {
    return heapStep(DType.F32, logits, logits == null ? -1 : logits.length, vocab, targets,
        offsets, spec, policy, oldLogp, advantages, refLogp, entropyWeights, grad,
        grad == null ? -1 : grad.length);
  }

  /** {@link #forwardBackward(float[], int, int[], int[], LossSpec, PolicySpec, float[], float[], float[], float[], float[])} on bf16 bit patterns. */
  public static PolicyResult forwardBackward(short[] logitsBf16, int vocab, int[] targets,
      int[] offsets, LossSpec spec, PolicySpec policy, float[] oldLogp, float[] advantages,
      float[] refLogp, float[] entropyWeights, short[] gradBf16) {
    return heapStep(DType.BF16, logitsBf16, logitsBf16 == null ? -1 : logitsBf16.length, vocab,
        targets, offsets, spec, policy, oldLogp, advantages, refLogp, entropyWeights, gradBf16,
        gradBf16 == null ? -1 : gradBf16.length);
  }

  /** The heap step for either dtype: logits and grad are float[] (F32) or short[] (BF16). */
  private static PolicyResult heapStep(DType dtype, Object logits, long logitsLength, int vocab,
      int[] targets, int[] offsets, LossSpec spec, PolicySpec policy, float[] oldLogp,
      float[] advantages, float[] refLogp, float[] entropyWeights, Object grad,
      long gradLength) {
    int rows = checkHeap(logitsLength, gradLength, vocab, targets, offsets, spec, policy);
    checkRowArrays(rows, policy, oldLogp, advantages, refLogp, entropyWeights);
    Out out = new Out(rows);
    NativeLibrary.ensureLoaded();
    long[] fields = NativeBatch.heapFields(dtype, rows, vocab, offsets.length - 1);
    int method = policy.method().code;
    int level = policy.levelCode();
    double low = policy.epsLow();
    double high = policy.epsHigh();
    double kl = policy.klCoefficient();
    check(dtype == DType.F32
        ? ReweighNative.reweigh_jni_policy_forward_backward((float[]) logits, targets, offsets,
            fields, spec.nativeFloats, spec.nativeInts, method, level, low, high, kl, oldLogp,
            advantages, refLogp, entropyWeights, out.logp, out.entropy, out.weights, out.clipped,
            out.objective, out.counts, (float[]) grad, vocab)
        : ReweighNative.reweigh_jni_policy_forward_backward((short[]) logits, targets, offsets,
            fields, spec.nativeFloats, spec.nativeInts, method, level, low, high, kl, oldLogp,
            advantages, refLogp, entropyWeights, out.logp, out.entropy, out.weights, out.clipped,
            out.objective, out.counts, (short[]) grad, vocab));
    return out.result();
  }

  // ---- native memory -----------------------------------------------------------------------

  /** One step on a CPU batch in native memory, per-row inputs on the heap. */
  public static PolicyResult forwardBackward(NativeBatch batch, LossSpec spec, PolicySpec policy,
      float[] oldLogp, float[] advantages, float[] refLogp, float[] entropyWeights,
      NativeGrad grad) {
    TokenLoss.requireCpuBatch(batch, spec, grad);
    requirePolicy(policy);
    if (batch.rows > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("batch.rows = " + batch.rows
          + ": per-row results on the heap hold at most 2^31 - 1 rows");
    }
    int rows = (int) batch.rows;
    checkRowArrays(rows, policy, oldLogp, advantages, refLogp, entropyWeights);
    Out out = new Out(rows);
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighNative.reweigh_jni_policy_forward_backward(batch.logits, batch.targets,
          batch.offsets, batch.nativeFields, spec.nativeFloats, spec.nativeInts,
          policy.method().code, policy.levelCode(), policy.epsLow(), policy.epsHigh(),
          policy.klCoefficient(), oldLogp, advantages, refLogp, entropyWeights, out.logp,
          out.entropy, out.weights, out.clipped, out.objective, out.counts, grad.address,
          grad.rowStride));
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(grad);
    }
    return out.result();
  }

  // ---- everything in native memory (CPU or CUDA) -------------------------------------------

  /**
   * One step with every per-row array by address in the batch's memory space (for a CUDA batch:
   * device memory, validated on the device as the logits are, docs/design.md §3.8; the call does
   * not synchronise to copy results out). The results (per-row logp, entropy, weights, clip
   * flags, the objective and the clip counts) go to the buffers' output addresses.
   */
  public static void forwardBackward(NativeBatch batch, LossSpec spec, PolicySpec policy,
      NativePolicyBuffers buffers, NativeGrad grad) {
    TokenLoss.requireBatch(batch, spec, grad);
    requirePolicy(policy);
    AdapterChecks.requireNonNull(buffers, "buffers");
    if (batch.rows > 0 && policy.method() == PolicySpec.Method.CLIPPED) {
      TokenLoss.requireAddress(buffers.oldLogp(), "oldLogp");
      TokenLoss.requireAddress(buffers.advantages(), "advantages");
      if (policy.klCoefficient() > 0) {
        TokenLoss.requireAddress(buffers.refLogp(), "refLogp");
      }
    }
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighNative.reweigh_jni_policy_forward_backward(batch.logits, batch.targets,
          batch.offsets, batch.nativeFields, spec.nativeFloats, spec.nativeInts,
          policy.method().code, policy.levelCode(), policy.epsLow(), policy.epsHigh(),
          policy.klCoefficient(), buffers.oldLogp(), buffers.advantages(), buffers.refLogp(),
          buffers.entropyWeights(), buffers.rowLogp(), buffers.rowEntropy(), buffers.rowWeights(),
          buffers.rowClipped(), buffers.objective(), buffers.clipCounts(), grad.address,
          grad.rowStride));
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(grad);
    }
  }

  // ---- outputs and checks ------------------------------------------------------------------

  /** The output arrays of one call. */
  private static final class Out {
    final float[] logp;
    final float[] entropy;
    final float[] weights;
    final byte[] clipped;
    final double[] objective = new double[1];
    final long[] counts = new long[2];

    Out(int rows) {
      logp = new float[rows];
      entropy = new float[rows];
      weights = new float[rows];
      clipped = new byte[rows];
    }

    PolicyResult result() {
      return new PolicyResult(objective[0], logp, entropy, weights, clipped, counts[0], counts[1]);
    }
  }

  private static int checkHeap(long logitsLength, long gradLength, int vocab, int[] targets,
      int[] offsets, LossSpec spec, PolicySpec policy) {
    long rows = TokenLoss.checkHeap(logitsLength, vocab, targets, offsets, spec);
    requirePolicy(policy);
    if (gradLength < 0) {
      throw new IllegalArgumentException("grad is null");
    }
    if (gradLength != logitsLength) {
      throw new IllegalArgumentException(
          "grad.length = " + gradLength + " must equal logits.length = " + logitsLength);
    }
    return (int) rows;
  }

  private static void requirePolicy(PolicySpec policy) {
    AdapterChecks.requireNonNull(policy, "policy");
  }

  /** Presence and length; finiteness on counted rows is checked natively, naming the index. */
  private static void checkRowArrays(int rows, PolicySpec policy, float[] oldLogp,
      float[] advantages, float[] refLogp, float[] entropyWeights) {
    boolean clipped = policy.method() == PolicySpec.Method.CLIPPED;
    checkRowArray(oldLogp, rows, "oldLogp", clipped);
    checkRowArray(advantages, rows, "advantages", clipped);
    checkRowArray(refLogp, rows, "refLogp", clipped && policy.klCoefficient() > 0);
    checkRowArray(entropyWeights, rows, "entropyWeights", false);
  }

  private static void checkRowArray(float[] values, int rows, String name, boolean required) {
    if (values == null) {
      if (required && rows > 0) {
        throw new IllegalArgumentException(name + " is null");
      }
      return;
    }
    if (values.length != rows) {
      throw new IllegalArgumentException(
          name + ".length = " + values.length + " must equal the number of rows = " + rows);
    }
  }
}
