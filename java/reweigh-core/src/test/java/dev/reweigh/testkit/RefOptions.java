package dev.reweigh.testkit;

import dev.reweigh.LossSpec;
import dev.reweigh.Normalization;
import dev.reweigh.TokenReduction;

/**
 * The loss options as a test writes them, read by {@link Reference64}, by the cross-checks' peers
 * (libtorch, ND4J) and by their definitions of D, never through the {@link LossSpec} getters: a
 * builder or getter bug then moves only the kernel's side (docs/design.md §3). {@link #spec()}
 * builds the LossSpec under test from the same literals through the public builder, setting only
 * what differs from the documented defaults. A new loss option is a component here, a term in
 * {@link Reference64} and, where it needs one, an entry in {@link OptionGrid}.
 *
 * @param eps label smoothing
 * @param lambda z-loss weight
 * @param softcap c of c * tanh(z / c); 0 = off
 * @param scale logit scale
 * @param sum per-sample SUM of row losses instead of the MEAN
 * @param mode how D is formed
 * @param d the explicit D (read only when {@code mode == EXPLICIT})
 * @param ignoreIndex target value of rows that count nowhere
 */
public record RefOptions(double eps, double lambda, double softcap, double scale, boolean sum,
    Mode mode, double d, long ignoreIndex) {

  /**
   * The kernel's ABI carries eps, lambda, softcap and scale as float32: round the literals as a
   * caller's float literal would, so both sides see the same value.
   */
  public RefOptions {
    eps = (float) eps;
    lambda = (float) lambda;
    softcap = (float) softcap;
    scale = (float) scale;
  }

  /** The normaliser modes, named here independently of {@link Normalization}. */
  public enum Mode {
    WEIGHT_SUM,
    TOKENS,
    SAMPLES,
    NONE,
    EXPLICIT
  }

  /** eps = lambda = softcap = 0, scale 1, MEAN, WEIGHT_SUM, ignore -100. */
  public static final RefOptions DEFAULTS =
      new RefOptions(0, 0, 0, 1, false, Mode.WEIGHT_SUM, 0, -100);

  public RefOptions eps(double v) {
    return new RefOptions(v, lambda, softcap, scale, sum, mode, d, ignoreIndex);
  }

  public RefOptions lambda(double v) {
    return new RefOptions(eps, v, softcap, scale, sum, mode, d, ignoreIndex);
  }

  public RefOptions softcap(double v) {
    return new RefOptions(eps, lambda, v, scale, sum, mode, d, ignoreIndex);
  }

  public RefOptions scale(double v) {
    return new RefOptions(eps, lambda, softcap, v, sum, mode, d, ignoreIndex);
  }

  public RefOptions summed() {
    return new RefOptions(eps, lambda, softcap, scale, true, mode, d, ignoreIndex);
  }

  public RefOptions mode(Mode m) {
    return new RefOptions(eps, lambda, softcap, scale, sum, m, d, ignoreIndex);
  }

  public RefOptions explicit(double v) {
    return new RefOptions(eps, lambda, softcap, scale, sum, Mode.EXPLICIT, v, ignoreIndex);
  }

  public RefOptions ignore(long v) {
    return new RefOptions(eps, lambda, softcap, scale, sum, mode, d, v);
  }

  /** The LossSpec under test, built from these literals through the public builder. */
  public LossSpec spec() {
    LossSpec.Builder b = LossSpec.builder();
    if (ignoreIndex != -100) {
      b.ignoreIndex(ignoreIndex);
    }
    if (eps != 0) {
      b.labelSmoothing((float) eps);
    }
    if (lambda != 0) {
      b.zLoss((float) lambda);
    }
    if (softcap != 0) {
      b.softcap((float) softcap);
    }
    if (scale != 1) {
      b.logitScale((float) scale);
    }
    if (sum) {
      b.tokenReduction(TokenReduction.SUM);
    }
    switch (mode) {
      case TOKENS -> b.normalization(Normalization.TOKENS);
      case SAMPLES -> b.normalization(Normalization.SAMPLES);
      case NONE -> b.normalization(Normalization.NONE);
      case EXPLICIT -> b.normalizer(d);
      case WEIGHT_SUM -> { }
    }
    return b.build();
  }
}
