package dev.reweigh.reliability;

import dev.reweigh.LossSpec;
import dev.reweigh.TokenReduction;

/**
 * A float64 reference of docs/design.md §3, written for this module from the design alone (the
 * Java twin of native/tests/reference.h): per counted row, with {@code z' = softcap(scale z)},
 *
 * <pre>
 *   lse = log sum_v exp(z'_v),  logp = z'_y - lse,  entropy = lse - sum_v p_v z'_v
 *   rowLoss = (1 - eps)(-logp) + eps (lse - mean_v z'_v) + lambda lse^2   (no eps term when eps = 0)
 * </pre>
 *
 * <p>per sample loss = sum (SUM) or mean (MEAN) of rowLoss, total = sum_s c_s loss_s / D, and
 * {@code dTotal/dz_v = k_s (p_v (1 + 2 lambda lse) - (1 - eps)[v == y] - eps / V) dz'/dz} with
 * {@code k_s = c_s / D} (over the sample's token count for MEAN). Entropy is computed as {@code
 * log d - sum e_v (z'_v - m) / d}, which does not cancel two huge numbers.
 */
final class Ref64 {
  /** float32 unit roundoff. */
  static final double U = 0x1p-24;

  final double[] loss;
  final double[] logProbSum;
  final double[] meanEntropy;
  final int[] tokenCount;
  final double[] rowLse;
  final double[] rowLogp;
  final double[] rowEntropy;
  final double[] rowTol;
  final boolean[] counted;
  final double d;
  final double total;
  final double[] grad;
  final double[] gradTol;

  private Ref64(int rows, int samples, int vocab) {
    loss = new double[samples];
    logProbSum = new double[samples];
    meanEntropy = new double[samples];
    tokenCount = new int[samples];
    rowLse = new double[rows];
    rowLogp = new double[rows];
    rowEntropy = new double[rows];
    rowTol = new double[rows];
    counted = new boolean[rows];
    grad = new double[rows * vocab];
    gradTol = new double[rows * vocab];
    d = Double.NaN;
    total = Double.NaN;
  }

  private Ref64(Ref64 stats, double d, double total) {
    loss = stats.loss;
    logProbSum = stats.logProbSum;
    meanEntropy = stats.meanEntropy;
    tokenCount = stats.tokenCount;
    rowLse = stats.rowLse;
    rowLogp = stats.rowLogp;
    rowEntropy = stats.rowEntropy;
    rowTol = stats.rowTol;
    counted = stats.counted;
    grad = stats.grad;
    gradTol = stats.gradTol;
    this.d = d;
    this.total = total;
  }

  static double transform(double z, LossSpec s) {
    double x = z * s.logitScale();
    if (s.softcap() > 0) {
      x = s.softcap() * Math.tanh(x / s.softcap());
    }
    return x;
  }

  static double derivative(double z, LossSpec s) {
    if (s.softcap() > 0) {
      double t = Math.tanh(z * s.logitScale() / s.softcap());
      return s.logitScale() * (1 - t * t);
    }
    return s.logitScale();
  }

  /**
   * The reference for valid inputs. {@code coefficients} may be null (forward only). bf16 says
   * whether the gradient is rounded to bf16 on output (adds 2^-8 relative to its tolerance).
   */
  static Ref64 compute(float[] z, int vocab, int[] targets, int[] offsets, float[] coefficients,
      LossSpec s, boolean bf16) {
    int rows = targets.length;
    int samples = offsets.length - 1;
    Ref64 r = new Ref64(rows, samples, vocab);
    double eps = s.labelSmoothing();
    double lambda = s.zLoss();
    for (int row = 0; row < rows; row++) {
      if (targets[row] == s.ignoreIndex()) {
        continue;
      }
      r.counted[row] = true;
      double m = Double.NEGATIVE_INFINITY;
      double sum = 0;
      double maxAbs = 0;
      for (int v = 0; v < vocab; v++) {
        double zp = transform(z[row * vocab + v], s);
        m = Math.max(m, zp);
        sum += zp;
        if (Double.isFinite(zp)) {
          maxAbs = Math.max(maxAbs, Math.abs(zp));
        }
      }
      double dd = 0;
      double ss = 0;
      for (int v = 0; v < vocab; v++) {
        double zp = transform(z[row * vocab + v], s);
        if (zp == Double.NEGATIVE_INFINITY) {
          continue;
        }
        double e = Math.exp(zp - m);
        dd += e;
        if (e > 0) {
          ss += e * (zp - m);
        }
      }
      double lse = m + Math.log(dd);
      double logp = transform(z[row * vocab + targets[row]], s) - lse;
      double rowLoss = -logp;
      if (eps > 0) {
        rowLoss = (1 - eps) * rowLoss + eps * (lse - sum / vocab);
      }
      rowLoss += lambda * lse * lse;
      r.rowLse[row] = lse;
      r.rowLogp[row] = logp;
      r.rowEntropy[row] = Math.log(dd) - ss / dd;
      r.rowLossTmp(row, rowLoss);
      // The native suites' bound (native/tests/test_support.h row_tolerance): 32 ulps of the
      // row's magnitude for the fp32 transform, exp and log, plus sqrt(V) ulps for the fp32 sum of
      // V terms (a random walk of rms sqrt(V / 3)); z-loss scales the lse error by 2 lambda |lse|.
      r.rowTol[row] = U * (1 + maxAbs + Math.abs(lse)) * (32 + Math.sqrt(vocab))
          * (1 + 2 * lambda * Math.abs(lse));
    }
    for (int smp = 0; smp < samples; smp++) {
      double l = 0;
      double lp = 0;
      double ent = 0;
      int n = 0;
      for (int row = offsets[smp]; row < offsets[smp + 1]; row++) {
        if (!r.counted[row]) {
          continue;
        }
        l += r.rowLossTmp[row];
        lp += r.rowLogp[row];
        ent += r.rowEntropy[row];
        n++;
      }
      if (n > 0) {
        if (s.tokenReduction() == TokenReduction.MEAN) {
          l /= n;
        }
        ent /= n;
      }
      r.loss[smp] = l;
      r.logProbSum[smp] = lp;
      r.meanEntropy[smp] = ent;
      r.tokenCount[smp] = n;
    }
    if (coefficients == null) {
      return r;
    }
    double d = normalizer(s, r.tokenCount, coefficients);
    if (!Double.isFinite(d)) {
      return new Ref64(r, d, Double.NaN);
    }
    if (d == 0) {
      // D = 0 (every row ignored, or every coefficient 0): total 0 and a zero gradient.
      return new Ref64(r, 0, 0);
    }
    double weighted = 0;
    for (int smp = 0; smp < samples; smp++) {
      if (r.tokenCount[smp] > 0) {
        weighted += coefficients[smp] * r.loss[smp];
      }
    }
    for (int smp = 0; smp < samples; smp++) {
      int n = r.tokenCount[smp];
      if (n == 0) {
        continue;
      }
      double k = coefficients[smp] / d;
      if (s.tokenReduction() == TokenReduction.MEAN) {
        k /= n;
      }
      for (int row = offsets[smp]; row < offsets[smp + 1]; row++) {
        if (!r.counted[row]) {
          continue;
        }
        double a = 1 + 2 * lambda * r.rowLse[row];
        for (int v = 0; v < vocab; v++) {
          int i = row * vocab + v;
          double zp = transform(z[i], s);
          double p = zp == Double.NEGATIVE_INFINITY ? 0 : Math.exp(zp - r.rowLse[row]);
          double g = a * p - eps / vocab - (v == targets[row] ? 1 - eps : 0);
          r.grad[i] = k * g * derivative(z[i], s);
          // p inherits the row's lse error; the bracket and dz'/dz add a few fp32 roundings of
          // their size (same bound as native/tests/test_ce_reference.cpp grad_tolerance).
          double tol = Math.abs(k) * s.logitScale()
              * (Math.abs(a) * r.rowTol[row] + 8 * U * (Math.abs(a) + 1)) + 4 * U * Math.abs(r.grad[i]);
          if (bf16) {
            tol += (Math.abs(r.grad[i]) + tol) / 256; // bf16 keeps 8 significant bits
          }
          r.gradTol[i] = tol;
        }
      }
    }
    return new Ref64(r, d, weighted / d);
  }

  private double[] rowLossTmp;

  private void rowLossTmp(int row, double value) {
    if (rowLossTmp == null) {
      rowLossTmp = new double[rowLse.length];
    }
    rowLossTmp[row] = value;
  }

  /** Tolerance of sample s's loss: MEAN averages its rows' errors, SUM adds them. */
  double lossTol(int s, int[] offsets, LossSpec spec) {
    double sum = 0;
    double max = 0;
    for (int row = offsets[s]; row < offsets[s + 1]; row++) {
      sum += rowTol[row];
      max = Math.max(max, rowTol[row]);
    }
    return (spec.tokenReduction() == TokenReduction.MEAN ? max : sum) + U * Math.abs(loss[s]);
  }

  /** Tolerance of sample s's mean entropy: the mean of its rows' errors is below their maximum. */
  double entropyTol(int s, int[] offsets) {
    double max = 0;
    for (int row = offsets[s]; row < offsets[s + 1]; row++) {
      max = Math.max(max, rowTol[row]);
    }
    return max + U * Math.abs(meanEntropy[s]);
  }

  double sumTol(int s, int[] offsets) {
    double sum = 0;
    for (int row = offsets[s]; row < offsets[s + 1]; row++) {
      sum += rowTol[row];
    }
    return sum + U * Math.abs(logProbSum[s]);
  }

  static double normalizer(LossSpec s, int[] tokenCount, float[] c) {
    double d = 0;
    switch (s.normalization()) {
      case WEIGHT_SUM:
        for (int i = 0; i < tokenCount.length; i++) {
          if (tokenCount[i] > 0) {
            d += c[i];
          }
        }
        return d;
      case TOKENS:
        for (int n : tokenCount) {
          d += n;
        }
        return d;
      case SAMPLES:
        for (int n : tokenCount) {
          d += n > 0 ? 1 : 0;
        }
        return d;
      case NONE:
        return 1;
      default:
        return s.normalizer();
    }
  }
}
