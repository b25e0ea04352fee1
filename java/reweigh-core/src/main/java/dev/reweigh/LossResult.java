package dev.reweigh;

/**
 * Result of a forward + backward call: the objective, the normaliser D it was divided by, and the
 * per-sample statistics.
 *
 * @param total {@code sum_s c_s * loss_s / D}, accumulated in float64; 0 when D = 0
 * @param normalizer the normaliser D of this call (docs/design.md §3): under {@link
 *     Normalization#WEIGHT_SUM} the sum of c_s over samples with counted rows, under {@code
 *     TOKENS} the counted rows, under {@code SAMPLES} the samples with counted rows, 1 under
 *     {@code NONE}, the spec's value under {@code EXPLICIT}. D = 0 (every row ignored, or every
 *     coefficient 0) means total 0 and a zero gradient: a trainer that averages over
 *     micro-batches can skip or reweight such a step.
 * @param stats the per-sample statistics of the call
 */
public record LossResult(double total, double normalizer, SampleStats stats) {

  /** D from the statistics the call returned, summed in sample order as the kernels do. */
  static double normalizerOf(LossSpec spec, SampleStats st, float[] coefficients) {
    double weightSum = 0;
    double tokens = 0;
    double samplesWithTokens = 0;
    for (int s = 0; s < st.samples(); s++) {
      long n = st.tokenCount(s);
      if (n == 0) {
        continue;
      }
      weightSum += coefficients[s];
      tokens += n;
      samplesWithTokens += 1;
    }
    switch (spec.normalization()) {
      case WEIGHT_SUM:
        return weightSum;
      case TOKENS:
        return tokens;
      case SAMPLES:
        return samplesWithTokens;
      case NONE:
        return 1.0;
      default:
        return spec.normalizer();
    }
  }

  @Override
  public String toString() {
    return "LossResult{total=" + total + ", normalizer=" + normalizer + ", " + stats + "}";
  }
}
