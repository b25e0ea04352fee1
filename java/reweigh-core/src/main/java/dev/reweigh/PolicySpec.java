package dev.reweigh;

import dev.reweigh.weighting.PolicyGradient;

/**
 * The objective of the one-pass policy-gradient step {@link PolicyLoss} (docs/methods.md §8): the
 * clipped surrogate with an optional k3 KL term (GRPO, DAPO, PPO-clip) or dynamic fine-tuning, and
 * the level that averages the per-token terms. The same objectives as {@link PolicyGradient}, the
 * readable Java reference they are tested against.
 *
 * @param method {@link Method#CLIPPED} or {@link Method#DFT}
 * @param level {@link PolicyGradient.Level#SEQUENCE} (GRPO) or {@link PolicyGradient.Level#TOKEN}
 *     (DAPO, PPO-clip, DFT)
 * @param epsLow lower clip range, finite, {@code >= 0} (read by CLIPPED)
 * @param epsHigh upper clip range, finite, {@code >= 0} (read by CLIPPED)
 * @param klCoefficient k3 KL coefficient beta, finite, {@code >= 0}; 0 with DFT
 */
public record PolicySpec(Method method, PolicyGradient.Level level, double epsLow, double epsHigh,
    double klCoefficient) {

  /** The per-token loss. */
  public enum Method {
    /** {@code min(rho A, clip(rho, 1 - epsLow, 1 + epsHigh) A)} minus the k3 KL term. */
    CLIPPED(0),
    /** Dynamic fine-tuning, arXiv:2508.05629: {@code sg(p) (-logp)}. */
    DFT(1);

    final int code;

    Method(int code) {
      this.code = code;
    }
  }

  public PolicySpec {
    if (method == null) {
      throw new IllegalArgumentException("method is null");
    }
    if (level == null) {
      throw new IllegalArgumentException("level is null");
    }
    check(epsLow, "epsLow");
    check(epsHigh, "epsHigh");
    check(klCoefficient, "klCoefficient");
    if (method == Method.DFT && klCoefficient != 0) {
      throw new IllegalArgumentException("klCoefficient = " + klCoefficient
          + ": the KL term belongs to the CLIPPED method; use 0 with DFT");
    }
  }

  /**
   * GRPO, arXiv:2402.03300 Eq. (3): clip range [1 - eps, 1 + eps], k3 KL coefficient beta.
   *
   * @param eps clip range
   * @param beta KL coefficient (0: no KL term, no reference log-probabilities needed)
   * @param level SEQUENCE (the paper) or TOKEN
   */
  public static PolicySpec grpo(double eps, double beta, PolicyGradient.Level level) {
    return new PolicySpec(Method.CLIPPED, level, eps, eps, beta);
  }

  /** DAPO, arXiv:2503.14476 Eq. (8): decoupled clip range, token-level mean, no KL term. */
  public static PolicySpec dapo(double epsLow, double epsHigh) {
    return new PolicySpec(Method.CLIPPED, PolicyGradient.Level.TOKEN, epsLow, epsHigh, 0);
  }

  /** PPO-clip, arXiv:1707.06347 Eq. (7), per-token advantages, mean over counted tokens. */
  public static PolicySpec ppoClip(double eps) {
    return new PolicySpec(Method.CLIPPED, PolicyGradient.Level.TOKEN, eps, eps, 0);
  }

  /** Dynamic fine-tuning, arXiv:2508.05629, mean over counted tokens. */
  public static PolicySpec dft() {
    return new PolicySpec(Method.DFT, PolicyGradient.Level.TOKEN, 0, 0, 0);
  }

  int levelCode() {
    return level == PolicyGradient.Level.SEQUENCE ? 0 : 1;
  }

  private static void check(double value, String name) {
    if (!Double.isFinite(value) || value < 0) {
      throw new IllegalArgumentException(name + " = " + value + " must be finite and >= 0");
    }
  }
}
