package dev.reweigh.demo.train;

/**
 * How the demo's objective reduces: {@code L = (1/B) * sum_s c_s * loss_s}, where {@code loss_s}
 * is the mean ({@code sumTokens = false}) or the sum of the sample's token NLL. The sum form makes
 * {@code loss_s = -log pi(y_s|x_s)}, which DPO's coefficients are derived for.
 */
public record LossOptions(boolean sumTokens) {
  public static final int IGNORE_INDEX = -100;

  public static LossOptions mean() {
    return new LossOptions(false);
  }

  public static LossOptions summed() {
    return new LossOptions(true);
  }
}
