package dev.reweigh.reliability;

import dev.reweigh.testkit.RefOptions;
import dev.reweigh.testkit.Reference64;

/**
 * The float64 gradient of docs/design.md §3's per-row objective, built on the test kit's {@link
 * Reference64}:
 *
 * <pre>
 *   total = sum_s c_s * red_s( sum_{r in s, counted} (w_r * rowLoss_r + beta_r * H_r) ) / D
 *   d total / dz_v = k_s [ w_r dRowLoss_r/dz'_v - beta_r p_v (log p_v + H_r) ] dz'_v/dz_v
 * </pre>
 *
 * The loss part is w_r times Reference64's per-sample gradient (which is k_s dRowLoss_r/dz), with
 * w_r times its tolerance. The entropy part's tolerance: p inherits the row's lse error
 * (Reference64's row tolerance) and a few fp32 roundings; log p + H adds the lse and entropy errors
 * and the roundings of z', lse and H; a p below 2^-125 may be flushed to 0 by the vector exp, so
 * such a term may be missing entirely; a result below 2^-126 carries the fp32 subnormal spacing.
 * bf16 output adds 2^-8 of the whole element and half its own subnormal spacing.
 */
final class TokenRef64 {
  final double[] grad;
  final double[] gradTol;

  private TokenRef64(double[] grad, double[] gradTol) {
    this.grad = grad;
    this.gradTol = gradTol;
  }

  /** Valid inputs only; {@code beta} may be null (no entropy term). */
  static TokenRef64 compute(float[] z, int vocab, int[] targets, int[] offsets,
      float[] coefficients, float[] w, float[] beta, RefOptions o, boolean bf16) {
    Reference64 ref = Reference64.compute(z, vocab, targets, offsets, coefficients, o, false);
    double[] grad = new double[ref.grad.length];
    double[] tol = new double[ref.grad.length];
    double u = Reference64.U;
    for (int smp = 0; smp + 1 < offsets.length; smp++) {
      int n = ref.tokenCount[smp];
      double k = ref.d == 0 || n == 0 ? 0 : coefficients[smp] / ref.d;
      if (!o.sum() && n > 0) {
        k /= n;
      }
      for (int row = offsets[smp]; row < offsets[smp + 1]; row++) {
        if (!ref.counted[row]) {
          continue;
        }
        double kb = beta == null ? 0 : k * beta[row];
        double lse = ref.rowLse[row];
        double h = ref.rowEntropy[row];
        double rt = ref.rowTol[row];
        for (int v = 0; v < vocab; v++) {
          int i = row * vocab + v;
          double g = w[row] * ref.grad[i];
          double t = Math.abs(w[row]) * ref.gradTol[i];
          double zp = Reference64.transform(z[i], o);
          if (kb != 0 && zp != Double.NEGATIVE_INFINITY) {
            double logp = zp - lse;
            double p = Math.exp(logp);
            double e = -kb * p * (logp + h) * Reference64.transformDerivative(z[i], o);
            g += e;
            double mag = Math.abs(kb) * o.scale();
            t += 2 * mag * p * ((Math.abs(logp) + h) * (rt + 4 * u) + 2 * rt
                + 4 * u * (Math.abs(zp) + Math.abs(lse) + h)) + 4 * u * Math.abs(e);
            if (p < 0x1p-125) {
              t += Math.abs(e);
            }
          }
          // Below 2^-126 fp32 keeps an absolute spacing of 2^-149: the loss part, the entropy
          // product, their difference and the product with dz'/dz (at most the scale, which
          // multiplies the earlier ones) each round by half of it.
          t += 0x1p-148 * Math.max(1, o.scale());
          if (bf16) {
            // bf16 keeps 8 significant bits, and below 2^-126 an absolute spacing of 2^-133.
            t += (Math.abs(g) + t) / 256 + 0x1p-134;
          }
          grad[i] = g;
          tol[i] = t;
        }
      }
    }
    return new TokenRef64(grad, tol);
  }
}
