package dev.reweigh;

/**
 * A float64 implementation of the fused loss, written straight from docs/design.md §3 with no
 * shared code: the independent reference every kernel output is compared with. Slow on purpose
 * (two passes per row, plain loops, Math.exp/log/tanh).
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

  private Reference64(double[] loss, double[] logProbSum, long[] tokenCount, double[] meanEntropy,
      double[] rowLse, double total, double[] grad, double gradScale) {
    this.loss = loss;
    this.logProbSum = logProbSum;
    this.tokenCount = tokenCount;
    this.meanEntropy = meanEntropy;
    this.rowLse = rowLse;
    this.total = total;
    this.grad = grad;
    this.gradScale = gradScale;
  }

  static double transform(double z, LossSpec spec) {
    double x = z * spec.logitScale();
    if (spec.softcap() > 0) {
      x = spec.softcap() * Math.tanh(x / spec.softcap());
    }
    return x;
  }

  /** dz'/dz at raw logit z. */
  static double transformDerivative(double z, LossSpec spec) {
    if (spec.softcap() > 0) {
      double t = Math.tanh(z * spec.logitScale() / spec.softcap());
      return spec.logitScale() * (1 - t * t);
    }
    return spec.logitScale();
  }

  /** Objective only (for finite differences). */
  static double total(double[] logits, int vocab, int[] targets, int[] offsets,
      double[] coefficients, LossSpec spec) {
    return compute(logits, vocab, targets, offsets, coefficients, spec).total;
  }

  static Reference64 compute(float[] logits, int vocab, int[] targets, int[] offsets,
      float[] coefficients, LossSpec spec) {
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
      double[] coefficients, LossSpec spec) {
    int rows = targets.length;
    int samples = offsets.length - 1;
    double eps = spec.labelSmoothing();
    double lambda = spec.zLoss();
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
        if (spec.tokenReduction() == TokenReduction.MEAN) {
          loss[s] /= tokenCount[s];
        }
      }
    }
    if (coefficients == null) {
      return new Reference64(loss, logProbSum, tokenCount, meanEntropy, rowLse, Double.NaN, null, 0);
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
    double gradScale = 0;
    for (int s = 0; s < samples; s++) {
      if (tokenCount[s] == 0) {
        continue;
      }
      double k = coefficients[s] / dn;
      if (spec.tokenReduction() == TokenReduction.MEAN) {
        k /= tokenCount[s];
      }
      gradScale = Math.max(gradScale, Math.abs(k) * spec.logitScale());
      for (int r = offsets[s]; r < offsets[s + 1]; r++) {
        if (targets[r] == spec.ignoreIndex()) {
          continue;
        }
        for (int v = 0; v < vocab; v++) {
          double zr = z[r * vocab + v];
          double p = Math.exp(transform(zr, spec) - rowLse[r]);
          // d rowLoss / d z'_v = p (1 + 2 lambda lse) - (1 - eps) [v == y] - eps / V
          double g = p * (1 + 2 * lambda * rowLse[r]) - (eps > 0 ? eps / vocab : 0);
          if (v == targets[r]) {
            g -= 1 - eps;
          }
          grad[r * vocab + v] = k * g * transformDerivative(zr, spec);
        }
      }
    }
    return new Reference64(loss, logProbSum, tokenCount, meanEntropy, rowLse, total, grad,
        gradScale);
  }

  static double normalizer(LossSpec spec, long[] tokenCount, double[] coefficients) {
    double d = 0;
    switch (spec.normalization()) {
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
      default:
        return spec.normalizer();
    }
  }
}
