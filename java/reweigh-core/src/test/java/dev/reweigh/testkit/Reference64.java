package dev.reweigh.testkit;

/**
 * The float64 reference of the fused loss for every Java test module, written straight from
 * docs/design.md §3 with no code shared with the library (native/tests/reference.h is its
 * independent C++ twin). Slow on purpose: plain loops, Math.exp/log/tanh. Its options come from the
 * test's own literals ({@link RefOptions}), never from LossSpec getters. Per counted row, with
 * {@code z' = softcap(scale z)},
 *
 * <pre>
 *   lse = log sum_v exp(z'_v),  logp = z'_y - lse,  entropy = lse - sum_v p_v z'_v
 *   rowLoss = (1 - eps)(-logp) + eps (lse - mean_v z'_v) + lambda lse^2  (no eps term if eps = 0)
 * </pre>
 *
 * <p>per sample loss = sum (SUM) or mean (MEAN) of rowLoss, total = sum_s c_s loss_s / D, and
 * {@code dTotal/dz_v = k_s (p_v (1 + 2 lambda lse) - (1 - eps)[v == y] - eps / V) dz'/dz} with
 * {@code k_s = c_s / D} (over the sample's token count for MEAN). Entropy is computed as {@code
 * log d - sum e_v (z'_v - m) / d}, which does not cancel two huge numbers. D = 0 is the zero step
 * (total 0, gradient 0); a non-finite D leaves the total NaN and the gradient unset.
 *
 * <p>Two tolerance rules come with it: the native suites' per-row bound ({@link #rowTol}, {@link
 * #gradTol} and the per-sample {@link #lossTol}, {@link #entropyTol}, {@link #sumTol}), used on
 * adversarial inputs, and {@link #gradTolerance}, a per-element gradient bound relative to p for
 * the kernel suites' stated relative error.
 */
public final class Reference64 {
  /** float32 unit roundoff. */
  public static final double U = 0x1p-24;

  public final double[] loss;
  public final double[] logProbSum;
  public final int[] tokenCount;
  public final double[] meanEntropy;
  public final boolean[] counted;
  public final double[] rowLse;
  public final double[] rowLogp;
  public final double[] rowEntropy;
  /** Per counted row: the float32 error bound of its lse, logp and entropy (native rule). */
  public final double[] rowTol;
  /** D of docs/design.md §3; NaN when no coefficients were given. */
  public final double d;
  /** sum_s c_s loss_s / D; NaN when no coefficients were given or D is not finite. */
  public final double total;
  /** d total / d raw logits, [rows * vocab]. Null when no coefficients were given. */
  public final double[] grad;
  /** Per element: the native suites' bound on the float32 (or bf16) gradient's error. */
  public final double[] gradTol;
  /** max_s |k_s| * max dz'/dz: the scale of every gradient element's float32 rounding error. */
  public final double gradScale;
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
  private final int[] offsets;
  private final boolean sum;

  private Reference64(int rows, int samples, int vocab, int[] offsets, boolean sum,
      boolean withGrad) {
    loss = new double[samples];
    logProbSum = new double[samples];
    tokenCount = new int[samples];
    meanEntropy = new double[samples];
    counted = new boolean[rows];
    rowLse = new double[rows];
    rowLogp = new double[rows];
    rowEntropy = new double[rows];
    rowTol = new double[rows];
    int n = withGrad ? rows * vocab : 0;
    grad = withGrad ? new double[n] : null;
    gradTol = new double[n];
    gradP = new double[n];
    gradUnit = new double[n];
    gradCap = new double[n];
    this.offsets = offsets;
    this.sum = sum;
    d = Double.NaN;
    total = Double.NaN;
    gradScale = 0;
  }

  private Reference64(Reference64 r, double d, double total, double gradScale) {
    loss = r.loss;
    logProbSum = r.logProbSum;
    tokenCount = r.tokenCount;
    meanEntropy = r.meanEntropy;
    counted = r.counted;
    rowLse = r.rowLse;
    rowLogp = r.rowLogp;
    rowEntropy = r.rowEntropy;
    rowTol = r.rowTol;
    grad = r.grad;
    gradTol = r.gradTol;
    gradP = r.gradP;
    gradUnit = r.gradUnit;
    gradCap = r.gradCap;
    offsets = r.offsets;
    sum = r.sum;
    this.d = d;
    this.total = total;
    this.gradScale = gradScale;
  }

  /** z' = softcap(scale z): c tanh(scale z / c) with a softcap c, scale z without. */
  public static double transform(double z, RefOptions o) {
    double x = z * o.scale();
    if (o.softcap() > 0) {
      x = o.softcap() * Math.tanh(x / o.softcap());
    }
    return x;
  }

  /** dz'/dz at raw logit z. */
  public static double transformDerivative(double z, RefOptions o) {
    if (o.softcap() > 0) {
      double t = Math.tanh(z * o.scale() / o.softcap());
      return o.scale() * (1 - t * t);
    }
    return o.scale();
  }

  /** Objective only (for finite differences). */
  public static double total(double[] logits, int vocab, int[] targets, int[] offsets,
      double[] coefficients, RefOptions o) {
    return compute(logits, vocab, targets, offsets, coefficients, o, false).total;
  }

  /** The reference of float32 inputs with a float32 gradient; null coefficients: forward only. */
  public static Reference64 compute(float[] logits, int vocab, int[] targets, int[] offsets,
      float[] coefficients, RefOptions o) {
    return compute(logits, vocab, targets, offsets, coefficients, o, false);
  }

  /**
   * The reference of float32 inputs. {@code bf16} says whether the gradient is rounded to bf16 on
   * output (adds 2^-8 relative to its {@link #gradTol}).
   */
  public static Reference64 compute(float[] logits, int vocab, int[] targets, int[] offsets,
      float[] coefficients, RefOptions o, boolean bf16) {
    return compute(toDoubles(logits), vocab, targets, offsets, toDoubles(coefficients), o, bf16);
  }

  /** The reference of float64 inputs; null coefficients: forward only. */
  public static Reference64 compute(double[] z, int vocab, int[] targets, int[] offsets,
      double[] coefficients, RefOptions o, boolean bf16) {
    int rows = targets.length;
    int samples = offsets.length - 1;
    Reference64 r = new Reference64(rows, samples, vocab, offsets, o.sum(), coefficients != null);
    double eps = o.eps();
    double lambda = o.lambda();
    double[] rowLoss = new double[rows];
    for (int row = 0; row < rows; row++) {
      if (targets[row] == o.ignoreIndex()) {
        continue;
      }
      r.counted[row] = true;
      double m = Double.NEGATIVE_INFINITY;
      double sumZ = 0;
      double maxAbs = 0;
      for (int v = 0; v < vocab; v++) {
        double zp = transform(z[row * vocab + v], o);
        m = Math.max(m, zp);
        sumZ += zp;
        if (Double.isFinite(zp)) {
          maxAbs = Math.max(maxAbs, Math.abs(zp));
        }
      }
      double dd = 0;
      double ss = 0;
      for (int v = 0; v < vocab; v++) {
        double zp = transform(z[row * vocab + v], o);
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
      double logp = transform(z[row * vocab + targets[row]], o) - lse;
      double l = -logp;
      if (eps > 0) {
        l = (1 - eps) * l + eps * (lse - sumZ / vocab);
      }
      l += lambda * lse * lse;
      r.rowLse[row] = lse;
      r.rowLogp[row] = logp;
      r.rowEntropy[row] = Math.log(dd) - ss / dd;
      rowLoss[row] = l;
      // The native suites' bound (native/tests/test_support.h row_tolerance): 32 ulps of the
      // row's magnitude for the fp32 transform, exp and log, plus sqrt(V) ulps for the fp32 sum of
      // V terms (a random walk of rms sqrt(V / 3)); z-loss scales the lse error by 2 lambda |lse|.
      r.rowTol[row] = U * (1 + maxAbs + Math.abs(lse)) * (32 + Math.sqrt(vocab))
          * (1 + 2 * lambda * Math.abs(lse));
    }
    for (int s = 0; s < samples; s++) {
      int n = 0;
      for (int row = offsets[s]; row < offsets[s + 1]; row++) {
        if (!r.counted[row]) {
          continue;
        }
        r.loss[s] += rowLoss[row];
        r.logProbSum[s] += r.rowLogp[row];
        r.meanEntropy[s] += r.rowEntropy[row];
        n++;
      }
      if (n > 0) {
        r.meanEntropy[s] /= n;
        if (!o.sum()) {
          r.loss[s] /= n;
        }
      }
      r.tokenCount[s] = n;
    }
    if (coefficients == null) {
      return r;
    }
    double d = normalizer(o, r.tokenCount, coefficients);
    if (!Double.isFinite(d)) {
      return new Reference64(r, d, Double.NaN, 0);
    }
    if (d == 0) {
      return new Reference64(r, 0, 0, 0);
    }
    double weighted = 0;
    for (int s = 0; s < samples; s++) {
      if (r.tokenCount[s] > 0) {
        weighted += coefficients[s] * r.loss[s];
      }
    }
    double gradScale = 0;
    for (int s = 0; s < samples; s++) {
      int n = r.tokenCount[s];
      if (n == 0) {
        continue;
      }
      double k = coefficients[s] / d;
      if (!o.sum()) {
        k /= n;
      }
      gradScale = Math.max(gradScale, Math.abs(k) * o.scale());
      for (int row = offsets[s]; row < offsets[s + 1]; row++) {
        if (!r.counted[row]) {
          continue;
        }
        double a = 1 + 2 * lambda * r.rowLse[row];
        for (int v = 0; v < vocab; v++) {
          int i = row * vocab + v;
          double zp = transform(z[i], o);
          double p = zp == Double.NEGATIVE_INFINITY ? 0 : Math.exp(zp - r.rowLse[row]);
          // d rowLoss / d z'_v = p (1 + 2 lambda lse) - (1 - eps) [v == y] - eps / V
          double pPart = a * p;
          double unit = (eps > 0 ? eps / vocab : 0) + (v == targets[row] ? 1 - eps : 0);
          double dz = transformDerivative(z[i], o);
          r.grad[i] = k * (pPart - unit) * dz;
          r.gradP[i] = Math.abs(k * pPart * dz);
          r.gradUnit[i] = Math.abs(k * unit * dz);
          if (o.softcap() > 0) {
            r.gradCap[i] = Math.abs(k * o.scale()) * (Math.abs(pPart) + unit);
          }
          // p inherits the row's lse error; the bracket and dz'/dz add a few fp32 roundings of
          // their size (same bound as native/tests/test_ce_reference.cpp grad_tolerance).
          double tol = Math.abs(k) * o.scale()
              * (Math.abs(a) * r.rowTol[row] + 8 * U * (Math.abs(a) + 1))
              + 4 * U * Math.abs(r.grad[i]);
          if (bf16) {
            tol += (Math.abs(r.grad[i]) + tol) / 256; // bf16 keeps 8 significant bits
          }
          r.gradTol[i] = tol;
        }
      }
    }
    return new Reference64(r, d, weighted / d, gradScale);
  }

  /** D of docs/design.md §3 from its definition: only samples with counted rows contribute. */
  public static double normalizer(RefOptions o, int[] tokenCount, double[] coefficients) {
    double d = 0;
    switch (o.mode()) {
      case WEIGHT_SUM:
        for (int s = 0; s < tokenCount.length; s++) {
          if (tokenCount[s] > 0) {
            d += coefficients[s];
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
      case EXPLICIT:
        return o.d();
      default:
        throw new AssertionError(o.mode());
    }
  }

  /**
   * Per-element gradient tolerance relative to p: each element is k (p (1 + 2 lambda lse) -
   * unit) dz'/dz computed in float32, so its error is the relative error of p ({@code relP}: the
   * lse and exp error) times the p part, plus a few float32 ulps ({@code relUnit}) of the unit
   * part and of the whole element. Capped at the row-scale bound {@code gradScale * rowAbs}, so it
   * is never wider than that.
   */
  public double[] gradTolerance(double relP, double relUnit, double rowAbs) {
    double[] tol = new double[grad.length];
    for (int i = 0; i < tol.length; i++) {
      double t = relP * gradP[i] + relUnit * (gradUnit[i] + gradP[i] + gradCap[i]);
      tol[i] = Math.min(t, gradScale * rowAbs);
    }
    return tol;
  }

  /** Tolerance of sample s's loss (native rule): MEAN averages its rows' errors, SUM adds them. */
  public double lossTol(int s) {
    return (sum ? rowTolSum(s) : rowTolMax(s)) + U * Math.abs(loss[s]);
  }

  /** Tolerance of sample s's mean entropy: the mean of its rows' errors is below their maximum. */
  public double entropyTol(int s) {
    return rowTolMax(s) + U * Math.abs(meanEntropy[s]);
  }

  /** Tolerance of sample s's log-prob sum: its rows' errors add. */
  public double sumTol(int s) {
    return rowTolSum(s) + U * Math.abs(logProbSum[s]);
  }

  private double rowTolSum(int s) {
    double t = 0;
    for (int row = offsets[s]; row < offsets[s + 1]; row++) {
      t += rowTol[row];
    }
    return t;
  }

  private double rowTolMax(int s) {
    double t = 0;
    for (int row = offsets[s]; row < offsets[s + 1]; row++) {
      t = Math.max(t, rowTol[row]);
    }
    return t;
  }

  /** float64 to float32 (round to nearest), element by element. */
  public static float[] toFloats(double[] x) {
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) x[i];
    }
    return out;
  }

  /** float32 to float64, element by element; null stays null. */
  public static double[] toDoubles(float[] x) {
    if (x == null) {
      return null;
    }
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i];
    }
    return out;
  }
}
