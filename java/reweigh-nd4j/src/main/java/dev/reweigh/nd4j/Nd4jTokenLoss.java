package dev.reweigh.nd4j;

import dev.reweigh.AdapterChecks;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeGrad;
import dev.reweigh.NativePolicyBuffers;
import dev.reweigh.PolicyLoss;
import dev.reweigh.PolicyResult;
import dev.reweigh.PolicySpec;
import dev.reweigh.TokenLoss;
import java.lang.ref.Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link TokenLoss} on ND4J arrays (CPU backend), zero copy: the gradient with per-row loss
 * weights {@code w_r} and optional entropy weights {@code beta_r} (semantics and normalisation in
 * {@link TokenLoss}, docs/design.md §3), for two-phase token-level objectives ({@code
 * dev.reweigh.weighting.PolicyGradient}).
 *
 * <pre>{@code
 * Nd4jStats st = Nd4jLoss.forward(batch, TokenLoss.objectiveSpec());
 * TokenObjective f = PolicyGradient.grpo(st.rowLogp().toFloatVector(), oldLogp, ...);
 * Nd4jTokenLoss.backward(batch, st, TokenLoss.unitCoefficients(samples), f.rowWeights(), null,
 *     TokenLoss.objectiveSpec(), null);                       // dF/dlogits over the logits
 * }</pre>
 *
 * The one-pass policy step ({@link PolicyLoss}: GRPO, DAPO, PPO-clip, DFT, docs/methods.md §8)
 * reads the logits once:
 *
 * <pre>{@code
 * PolicyResult r = Nd4jTokenLoss.policyStep(batch, TokenLoss.objectiveSpec(),
 *     PolicySpec.grpo(0.2, 0.04, PolicyGradient.Level.SEQUENCE), oldLogp, advantages, refLogp,
 *     null, null);                                            // dF/dlogits over the logits
 * }</pre>
 *
 * Row arrays are FLOAT with one entry per row ({@code [rows]} or {@code [B, T]}, dense in C
 * order), or heap arrays. {@code grad} is an array shaped and typed like the logits, or {@code
 * null} to write the gradient over the logits.
 */
public final class Nd4jTokenLoss {
  private Nd4jTokenLoss() {}

  /**
   * The gradient from the statistics of {@link Nd4jLoss#forward} on the same batch and spec;
   * {@code rowEntropyWeights} null means no entropy term.
   */
  public static void backward(Nd4jBatch batch, Nd4jStats stats, INDArray coefficients,
      INDArray rowWeights, INDArray rowEntropyWeights, LossSpec spec, INDArray grad) {
    AdapterChecks.requireNonNull(batch, "batch");
    AdapterChecks.requireNonNull(spec, "spec");
    AdapterChecks.requireNonNull(stats, "stats");
    Nd4jChecks.requireFloatVector(stats.rowLse(), "stats.rowLse", batch.rows());
    Nd4jChecks.requireFloatVector(coefficients, "coefficients", batch.samples());
    Nd4jChecks.requireFloatVector(rowWeights, "rowWeights", batch.rows());
    long entropyWeights = 0;
    long entropy = 0;
    if (rowEntropyWeights != null) {
      Nd4jChecks.requireFloatVector(rowEntropyWeights, "rowEntropyWeights", batch.rows());
      Nd4jChecks.requireFloatVector(stats.rowEntropy(), "stats.rowEntropy", batch.rows());
      entropyWeights = Nd4jChecks.address(rowEntropyWeights);
      entropy = Nd4jChecks.address(stats.rowEntropy());
    }
    NativeGrad g = grad == null ? NativeGrad.inPlace(batch.nativeBatch())
        : Nd4jLoss.nativeGrad(batch, grad);
    try {
      TokenLoss.backward(batch.nativeBatch(), Nd4jChecks.address(stats.rowLse()), entropy,
          Nd4jChecks.address(coefficients), Nd4jChecks.address(rowWeights), entropyWeights, spec,
          g);
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(stats);
      Reference.reachabilityFence(coefficients);
      Reference.reachabilityFence(rowWeights);
      Reference.reachabilityFence(rowEntropyWeights);
      Reference.reachabilityFence(grad);
    }
  }

  /**
   * {@link #backward(Nd4jBatch, Nd4jStats, INDArray, INDArray, INDArray, LossSpec, INDArray)}
   * with heap arrays: one finite entry per row (ignored rows included: pass 0 there), else an
   * {@link IllegalArgumentException} naming the array and index.
   */
  public static void backward(Nd4jBatch batch, Nd4jStats stats, float[] coefficients,
      float[] rowWeights, float[] rowEntropyWeights, LossSpec spec, INDArray grad) {
    AdapterChecks.requireNonNull(batch, "batch");
    AdapterChecks.requireCoefficients(coefficients, batch.samples());
    backward(batch, stats, floats(coefficients), rowArray(rowWeights, batch.rows(), "rowWeights"),
        rowEntropyWeights == null ? null
            : rowArray(rowEntropyWeights, batch.rows(), "rowEntropyWeights"), spec, grad);
  }

  /**
   * The one-pass policy step ({@link PolicyLoss#forwardBackward}) with the per-row inputs as
   * FLOAT arrays, one entry per row, finite on counted rows ({@code oldLogp} and {@code
   * advantages} for CLIPPED, else null; {@code refLogp} when the KL coefficient is > 0, else
   * null; {@code entropyWeights} null for no entropy term). The gradient goes to {@code grad}, or
   * over the logits when {@code grad} is null.
   *
   * @return the objective and the per-row results
   */
  public static PolicyResult policyStep(Nd4jBatch batch, LossSpec spec, PolicySpec policy,
      INDArray oldLogp, INDArray advantages, INDArray refLogp, INDArray entropyWeights,
      INDArray grad) {
    AdapterChecks.requireNonNull(batch, "batch");
    AdapterChecks.requireNonNull(spec, "spec");
    AdapterChecks.requireNonNull(policy, "policy");
    long rows = batch.rows();
    long old = optionalRowAddress(oldLogp, "oldLogp", rows);
    long adv = optionalRowAddress(advantages, "advantages", rows);
    long ref = optionalRowAddress(refLogp, "refLogp", rows);
    long beta = optionalRowAddress(entropyWeights, "entropyWeights", rows);
    INDArray logp = Nd4j.create(DataType.FLOAT, rows);
    INDArray entropy = Nd4j.create(DataType.FLOAT, rows);
    INDArray weights = Nd4j.create(DataType.FLOAT, rows);
    INDArray clipped = Nd4j.create(DataType.INT8, rows);
    INDArray objective = Nd4j.create(DataType.DOUBLE, 1);
    INDArray counts = Nd4j.create(DataType.INT64, 2);
    NativeGrad g = grad == null ? NativeGrad.inPlace(batch.nativeBatch())
        : Nd4jLoss.nativeGrad(batch, grad);
    try {
      PolicyLoss.forwardBackward(batch.nativeBatch(), spec, policy, new NativePolicyBuffers(old,
          adv, ref, beta, Nd4jChecks.address(logp), Nd4jChecks.address(entropy),
          Nd4jChecks.address(weights), Nd4jChecks.address(clipped),
          Nd4jChecks.address(objective), Nd4jChecks.address(counts)), g);
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(oldLogp);
      Reference.reachabilityFence(advantages);
      Reference.reachabilityFence(refLogp);
      Reference.reachabilityFence(entropyWeights);
      Reference.reachabilityFence(grad);
    }
    int[] c = clipped.toIntVector();
    byte[] flags = new byte[c.length];
    for (int r = 0; r < c.length; r++) {
      flags[r] = (byte) c[r];
    }
    long[] n = counts.toLongVector();
    return new PolicyResult(objective.getDouble(0), logp.toFloatVector(),
        entropy.toFloatVector(), weights.toFloatVector(), flags, n[0], n[1]);
  }

  /**
   * {@link #policyStep(Nd4jBatch, LossSpec, PolicySpec, INDArray, INDArray, INDArray, INDArray,
   * INDArray)} with heap arrays (null where that overload takes null).
   */
  public static PolicyResult policyStep(Nd4jBatch batch, LossSpec spec, PolicySpec policy,
      float[] oldLogp, float[] advantages, float[] refLogp, float[] entropyWeights,
      INDArray grad) {
    AdapterChecks.requireNonNull(batch, "batch");
    NativeGrad g = grad == null ? NativeGrad.inPlace(batch.nativeBatch())
        : Nd4jLoss.nativeGrad(batch, grad);
    try {
      return PolicyLoss.forwardBackward(batch.nativeBatch(), spec, policy, oldLogp, advantages,
          refLogp, entropyWeights, g);
    } finally {
      Reference.reachabilityFence(batch);
      Reference.reachabilityFence(grad);
    }
  }

  /** The address of a FLOAT row array, or 0 for null. */
  private static long optionalRowAddress(INDArray a, String name, long rows) {
    if (a == null) {
      return 0L;
    }
    Nd4jChecks.requireFloatVector(a, name, rows);
    return Nd4jChecks.address(a);
  }

  private static INDArray rowArray(float[] values, long rows, String name) {
    TokenLoss.checkRowValues(values, rows, name);
    return floats(values);
  }

  private static INDArray floats(float[] values) {
    return values.length == 0 ? Nd4j.create(DataType.FLOAT, 0)
        : Nd4j.createFromArray(values);
  }
}
