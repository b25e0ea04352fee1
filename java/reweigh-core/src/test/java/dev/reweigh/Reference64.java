package dev.reweigh;

/**
 * A float64 implementation of the fused loss, written straight from docs/design.md §3 with no
 * shared code: the independent reference every kernel output is compared with. Slow on purpose
 * (two passes per row, plain loops, Math.exp/log/tanh). Its options come from the test's own
 * literals ({@link RefOptions}), never from {@link LossSpec} getters.
 */
final class Reference64 {
  final double[] loss;
  final double[] logProbSum;
  final long[] tokenCount;
  final double[] meanEntropy;
  final double[] rowLse;
  final double total;
  /** d total / d raw logits, [rows * vocab]. Null when no coefficients were given. */
  final double[] grad;
  /** max_s |k_s| * max dz'/dz: the scale of every gradient element's float32 rounding error. */
  final double gradScale;
  /** Per element |k| dz'/dz p |1 + 2 lambda lse|: the part of the gradient proportional to p. */
  final double[] gradP;
  /** Per element |k| dz'/dz ((1 - eps) [v == y] + eps / V): the part that does not scale with p. */
  final double[] gradUnit;
  /**
   * Per element |k| scale (p |1 + 2 lambda lse| + unit) when the softcap is on: the float32 error
   * of 1 - tanh^2 in dz'/dz is absolute, so near saturation it scales with scale, not with dz'/dz.
   * Zero without a softcap.
   */
  final double[] gradCap;

  private Reference64(double[] loss, double[] logProbSum, long[] tokenCount, double[] meanEntropy,
      double[] rowLse, double total, double[] grad, double gradScale, double[] gradP,
      double[] gradUnit, double[] gradCap) {
    this.loss = loss;
    this.logProbSum = logProbSum;
    this.tokenCount = tokenCount;
    this.meanEntropy = meanEntropy;
    this.rowLse = rowLse;
    this.total = total;
    this.grad = grad;
    this.gradScale = gradScale;
    this.gradP = gradP;
    this.gradUnit = gradUnit;
    this.gradCap = gradCap;
  }

  static double transform(double z, RefOptions o) {
    double x = z * o.scale();
    if (o.softcap() > 0) {
      x = o.softcap() * Math.tanh(x / o.softcap());
    }
    return x;
  }

  /** dz'/dz at raw logit z. */
  static double transformDerivative(double z, RefOptions o) {
    if (o.softcap() > 0) {
      double t = Math.tanh(z * o.scale() / o.softcap());
      return o.scale() * (1 - t * t);
    }
    return o.scale();
  }

  /** Objective only (for finite differences). */
  static double total(double[] logits, int vocab, int[] targets, int[] offsets,
      double[] coefficients, RefOptions spec) {
    return compute(logits, vocab, targets, offsets, coefficients, spec).total;
  }

  static Reference64 compute(float[] logits, int vocab, int[] targets, int[] offsets,
      float[] coefficients, RefOptions spec) {
    double[] z = new double[logits.length];
    for (int i = 0; i < z.length; i++) {
      z[i] = logits[i];
    }
    double[] c = null;
    if (coefficients != null) {
      c = new double[coefficients.length];
      for (int i = 0; i < c.length; i++) {
        c[i] = coefficients[i];
      }
    }
    return compute(z, vocab, targets, offsets, c, spec);
  }

  static Reference64 compute(double[] z, int vocab, int[] targets, int[] offsets,
      double[] coefficients, RefOptions spec) {
    int rows = targets.length;
    int samples = offsets.length - 1;
    double eps = spec.eps();
    double lambda = spec.lambda();
    double[] rowLse = new double[rows];
    double[] rowLoss = new double[rows];
    double[] rowLogp = new double[rows];
    double[] rowEntropy = new double[rows];
    for (int r = 0; r < rows; r++) {
      if (targets[r] == spec.ignoreIndex()) {
        continue;
      }
      double m = Double.NEGATIVE_INFINITY;
      for (int v = 0; v < vocab; v++) {
        m = Math.max(m, transform(z[r * vocab + v], spec));
      }
      double d = 0;
      double sumZ = 0;
      for (int v = 0; v < vocab; v++) {
        double zp = transform(z[r * vocab + v], spec);
        d += Math.exp(zp - m);
        sumZ += zp;
      }
      double lse = m + Math.log(d);
      double expectedZ = 0;
      for (int v = 0; v < vocab; v++) {
        double zp = transform(z[r * vocab + v], spec);
        double p = Math.exp(zp - lse);
        if (p > 0) {
          expectedZ += p * zp;
        }
      }
      double logp = transform(z[r * vocab + targets[r]], spec) - lse;
      double loss = -logp;
      if (eps > 0) {
        loss = (1 - eps) * loss + eps * (lse - sumZ / vocab);
      }
      loss += lambda * lse * lse;
      rowLse[r] = lse;
      rowLogp[r] = logp;
      rowEntropy[r] = lse - expectedZ;
      rowLoss[r] = loss;
    }
    double[] loss = new double[samples];
    double[] logProbSum = new double[samples];
    long[] tokenCount = new long[samples];
    double[] meanEntropy = new double[samples];
    for (int s = 0; s < samples; s++) {
      for (int r = offsets[s]; r < offsets[s + 1]; r++) {
        if (targets[r] == spec.ignoreIndex()) {
          continue;
        }
        tokenCount[s]++;
        loss[s] += rowLoss[r];
        logProbSum[s] += rowLogp[r];
        meanEntropy[s] += rowEntropy[r];
      }
      if (tokenCount[s] > 0) {
        meanEntropy[s] /= tokenCount[s];
        if (!spec.sum()) {
          loss[s] /= tokenCount[s];
        }
      }
    }
    if (coefficients == null) {
      return new Reference64(
          loss, logProbSum, tokenCount, meanEntropy, rowLse, Double.NaN, null, 0, null, null, null);
    }
    double dn = normalizer(spec, tokenCount, coefficients);
    double total = 0;
    for (int s = 0; s < samples; s++) {
      if (tokenCount[s] > 0) {
        total += coefficients[s] * loss[s];
      }
    }
    total /= dn;
    double[] grad = new double[z.length];
    double[] gradP = new double[z.length];
    double[] gradUnit = new double[z.length];
    double[] gradCap = new double[z.length];
    double gradScale = 0;
    for (int s = 0; s < samples; s++) {
      if (tokenCount[s] == 0) {
        continue;
      }
      double k = coefficients[s] / dn;
      if (!spec.sum()) {
        k /= tokenCount[s];
      }
      gradScale = Math.max(gradScale, Math.abs(k) * spec.scale());
      for (int r = offsets[s]; r < offsets[s + 1]; r++) {
        if (targets[r] == spec.ignoreIndex()) {
          continue;
        }
        for (int v = 0; v < vocab; v++) {
          double zr = z[r * vocab + v];
          double p = Math.exp(transform(zr, spec) - rowLse[r]);
          // d rowLoss / d z'_v = p (1 + 2 lambda lse) - (1 - eps) [v == y] - eps / V
          double pPart = p * (1 + 2 * lambda * rowLse[r]);
          double unit = (eps > 0 ? eps / vocab : 0) + (v == targets[r] ? 1 - eps : 0);
          double dz = transformDerivative(zr, spec);
          grad[r * vocab + v] = k * (pPart - unit) * dz;
          gradP[r * vocab + v] = Math.abs(k * pPart * dz);
          gradUnit[r * vocab + v] = Math.abs(k * unit * dz);
          if (spec.softcap() > 0) {
            gradCap[r * vocab + v] = Math.abs(k * spec.scale()) * (Math.abs(pPart) + unit);
          }
        }
      }
    }
    return new Reference64(loss, logProbSum, tokenCount, meanEntropy, rowLse, total, grad,
        gradScale, gradP, gradUnit, gradCap);
  }

  static double normalizer(RefOptions spec, long[] tokenCount, double[] coefficients) {
    double d = 0;
    switch (spec.mode()) {
      case WEIGHT_SUM:
        for (int s = 0; s < tokenCount.length; s++) {
          if (tokenCount[s] > 0) {
            d += coefficients[s];
          }
        }
        return d;
      case TOKENS:
        for (long n : tokenCount) {
          d += n;
        }
        return d;
      case SAMPLES:
        for (long n : tokenCount) {
          d += n > 0 ? 1 : 0;
        }
        return d;
      case NONE:
        return 1;
      case EXPLICIT:
        return spec.d();
      default:
        throw new AssertionError(spec.mode());
    }
  }

  /**
   * Per-element gradient tolerance relative to p: each element is k (p (1 + 2 lambda lse) -
   * unit) dz'/dz computed in float32, so its error is the relative error of p ({@code relP}: the
   * lse and exp error) times the p part, plus a few float32 ulps ({@code relUnit}) of the unit
   * part and of the whole element. Capped at the row-scale bound {@code gradScale * rowAbs}, so it
   * is never wider than that.
   */
  double[] gradTolerance(double relP, double relUnit, double rowAbs) {
    double[] tol = new double[grad.length];
    for (int i = 0; i < tol.length; i++) {
      double t = relP * gradP[i] + relUnit * (gradUnit[i] + gradP[i] + gradCap[i]);
      tol[i] = Math.min(t, gradScale * rowAbs);
    }
    return tol;
  }
}
