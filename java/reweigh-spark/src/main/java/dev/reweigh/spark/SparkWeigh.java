package dev.reweigh.spark;

/**
 * Entry point of the Spark API: one factory per method of {@code reweigh weigh}, with the CLI's
 * defaults.
 *
 * <pre>{@code
 * Dataset<Row> weighed = SparkWeigh.iwsi(2.0).keepFraction(0.8).apply(candidates);
 * Weighed w = SparkWeigh.east().exponent(1.0).columns(WeighColumns.DEFAULT.withAnswer("pred"))
 *     .weigh(candidates);
 * }</pre>
 */
public final class SparkWeigh {

  private SparkWeigh() {}

  /** @return lmsi: majority vote, weight 1 */
  public static LmsiWeigher lmsi() {
    return new LmsiWeigher();
  }

  /** @return rejection: gold-correct responses, weight 1 */
  public static RejectionWeigher rejection() {
    return new RejectionWeigher();
  }

  /**
   * @param validMeanLoss Lv (Eq. 8), finite and {@code > 0}
   * @return iwsi: majority, then the fraction k with the lowest DS weight
   */
  public static IwsiWeigher iwsi(double validMeanLoss) {
    return new IwsiWeigher(validMeanLoss);
  }

  /**
   * @param validMeanLoss Lv (Eq. 8), finite and {@code > 0}
   * @return iwsi-w: majority, weight min(Lv / L, C)
   */
  public static IwsiClippedWeigher iwsiClipped(double validMeanLoss) {
    return new IwsiClippedWeigher(validMeanLoss);
  }

  /** @return east: entropy weights h^a / mean h^a */
  public static EastWeigher east() {
    return new EastWeigher();
  }

  /** @return sharpening-sft: best-of-N by a self-reward */
  public static SharpeningSftWeigher sharpeningSft() {
    return new SharpeningSftWeigher();
  }

  /** @return loss-reweighting: softmax of f(h) / r */
  public static LossReweightingWeigher lossReweighting() {
    return new LossReweightingWeigher();
  }

  /** @return kl-dro: softmax of loss / r */
  public static KlDroWeigher klDro() {
    return new KlDroWeigher();
  }
}
