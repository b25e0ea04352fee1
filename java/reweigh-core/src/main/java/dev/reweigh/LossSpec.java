package dev.reweigh;

import java.util.Objects;

/**
 * Options of the fused loss (docs/design.md §3), immutable. Per counted row, with {@code
 * z' = softcap(logitScale * z)}:
 *
 * <pre>
 * rowLoss = (1 - labelSmoothing) * (-logp) + labelSmoothing * (lse - mean z') + zLoss * lse^2
 * </pre>
 *
 * <p>Defaults: ignoreIndex -100, no smoothing, no z-loss, no softcap, logitScale 1, MEAN token
 * reduction, WEIGHT_SUM normalisation, no finite check.
 */
public final class LossSpec {
  private static final LossSpec DEFAULTS = builder().build();

  private final long ignoreIndex;
  private final float labelSmoothing;
  private final float zLoss;
  private final float softcap;
  private final float logitScale;
  private final TokenReduction tokenReduction;
  private final Normalization normalization;
  private final double normalizer;
  private final boolean checkFinite;
  /** The options as the JNI bridge takes them (reweigh_jni.h); never mutated. */
  final double[] nativeFloats;
  final long[] nativeInts;

  private LossSpec(Builder b) {
    this.ignoreIndex = b.ignoreIndex;
    this.labelSmoothing = b.labelSmoothing;
    this.zLoss = b.zLoss;
    this.softcap = b.softcap;
    this.logitScale = b.logitScale;
    this.tokenReduction = b.tokenReduction;
    this.normalization = b.normalization;
    this.normalizer = b.normalizer;
    this.checkFinite = b.checkFinite;
    this.nativeFloats =
        new double[] {labelSmoothing, zLoss, softcap, logitScale, normalizer};
    this.nativeInts = new long[] {
        ignoreIndex, tokenReduction.code, normalization.code, checkFinite ? 1 : 0};
  }

  /** The default options. */
  public static LossSpec defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.ignoreIndex = ignoreIndex;
    b.labelSmoothing = labelSmoothing;
    b.zLoss = zLoss;
    b.softcap = softcap;
    b.logitScale = logitScale;
    b.tokenReduction = tokenReduction;
    b.normalization = normalization;
    b.normalizer = normalizer;
    b.checkFinite = checkFinite;
    return b;
  }

  public long ignoreIndex() {
    return ignoreIndex;
  }

  public float labelSmoothing() {
    return labelSmoothing;
  }

  public float zLoss() {
    return zLoss;
  }

  public float softcap() {
    return softcap;
  }

  public float logitScale() {
    return logitScale;
  }

  public TokenReduction tokenReduction() {
    return tokenReduction;
  }

  public Normalization normalization() {
    return normalization;
  }

  /** D when {@link #normalization()} is {@link Normalization#EXPLICIT}; otherwise unused. */
  public double normalizer() {
    return normalizer;
  }

  /** Whether NaN or +inf logits on counted rows raise {@link NonFiniteInputException}. */
  public boolean checkFinite() {
    return checkFinite;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof LossSpec)) {
      return false;
    }
    LossSpec s = (LossSpec) o;
    return ignoreIndex == s.ignoreIndex
        && Float.compare(labelSmoothing, s.labelSmoothing) == 0
        && Float.compare(zLoss, s.zLoss) == 0
        && Float.compare(softcap, s.softcap) == 0
        && Float.compare(logitScale, s.logitScale) == 0
        && tokenReduction == s.tokenReduction
        && normalization == s.normalization
        && Double.compare(normalizer, s.normalizer) == 0
        && checkFinite == s.checkFinite;
  }

  @Override
  public int hashCode() {
    return Objects.hash(ignoreIndex, labelSmoothing, zLoss, softcap, logitScale, tokenReduction,
        normalization, normalizer, checkFinite);
  }

  @Override
  public String toString() {
    return "LossSpec{ignoreIndex=" + ignoreIndex + ", labelSmoothing=" + labelSmoothing
        + ", zLoss=" + zLoss + ", softcap=" + softcap + ", logitScale=" + logitScale
        + ", tokenReduction=" + tokenReduction + ", normalization=" + normalization
        + (normalization == Normalization.EXPLICIT ? ", normalizer=" + normalizer : "")
        + ", checkFinite=" + checkFinite + "}";
  }

  /** Builder; every setter validates its argument at once. */
  public static final class Builder {
    private long ignoreIndex = -100;
    private float labelSmoothing = 0f;
    private float zLoss = 0f;
    private float softcap = 0f;
    private float logitScale = 1f;
    private TokenReduction tokenReduction = TokenReduction.MEAN;
    private Normalization normalization = Normalization.WEIGHT_SUM;
    private double normalizer = 1.0;
    private boolean checkFinite = false;

    private Builder() {}

    /** Target value of rows that count nowhere (default -100, as in PyTorch). */
    public Builder ignoreIndex(long ignoreIndex) {
      this.ignoreIndex = ignoreIndex;
      return this;
    }

    /** eps in [0, 1]. */
    public Builder labelSmoothing(float eps) {
      if (!(eps >= 0f && eps <= 1f)) {
        throw new IllegalArgumentException("labelSmoothing = " + eps + " must lie in [0, 1]");
      }
      this.labelSmoothing = eps;
      return this;
    }

    /** lambda >= 0, the weight of lse^2 (PaLM's z-loss). */
    public Builder zLoss(float lambda) {
      if (!(lambda >= 0f) || Float.isInfinite(lambda)) {
        throw new IllegalArgumentException("zLoss = " + lambda + " must be finite and >= 0");
      }
      this.zLoss = lambda;
      return this;
    }

    /** c >= 0; logits become c * tanh(z / c). 0 turns it off. */
    public Builder softcap(float c) {
      if (!(c >= 0f) || Float.isInfinite(c)) {
        throw new IllegalArgumentException("softcap = " + c + " must be finite and >= 0 (0 = off)");
      }
      this.softcap = c;
      return this;
    }

    /** Multiplier applied to the logits before everything else (1 / temperature), > 0. */
    public Builder logitScale(float scale) {
      if (!(scale > 0f) || Float.isInfinite(scale)) {
        throw new IllegalArgumentException("logitScale = " + scale + " must be finite and > 0");
      }
      this.logitScale = scale;
      return this;
    }

    public Builder tokenReduction(TokenReduction reduction) {
      this.tokenReduction = Objects.requireNonNull(reduction, "tokenReduction");
      return this;
    }

    /**
     * WEIGHT_SUM, TOKENS, SAMPLES or NONE. For an explicit D use {@link #normalizer(double)}.
     */
    public Builder normalization(Normalization normalization) {
      this.normalization = Objects.requireNonNull(normalization, "normalization");
      return this;
    }

    /** Explicit D (finite, nonzero); also sets {@link Normalization#EXPLICIT}. */
    public Builder normalizer(double d) {
      if (!Double.isFinite(d) || d == 0.0) {
        throw new IllegalArgumentException("normalizer = " + d + " must be finite and nonzero");
      }
      this.normalizer = d;
      this.normalization = Normalization.EXPLICIT;
      return this;
    }

    public Builder checkFinite(boolean check) {
      this.checkFinite = check;
      return this;
    }

    public LossSpec build() {
      return new LossSpec(this);
    }
  }
}
