package dev.reweigh.cli;

import dev.reweigh.weighting.LossReweighting;
import java.util.Locale;

/**
 * {@code loss-reweighting}: w_i = softmax_i(f(h_i) / r) over a batch (Sow et al., arXiv:2502.06733;
 * docs/methods.md §5); every candidate is kept.
 *
 * <p>With B = 0 (whole file) the input is read three times with O(1) memory: pass 1 finds lmin and
 * lmax, pass 2 accumulates the softmax normaliser online (running max and rescaled sum), pass 3
 * writes {@code exp((f_i - m) / r) / Z}.
 */
final class LossReweightingMethod extends LossSoftmaxMethod {

  private final LossReweighting.Strategy strategy;
  private final double r;
  private double lmin = Double.POSITIVE_INFINITY;
  private double lmax = Double.NEGATIVE_INFINITY;

  LossReweightingMethod(LossReweighting.Strategy strategy, double temperature, int batchSize) {
    super(temperature, batchSize);
    this.strategy = strategy;
    this.r = temperature;
    parameters.put("strategy", strategy.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    parameters.put("temperature", temperature);
    parameters.put("batch_size", batchSize);
  }

  @Override
  double[] batchWeights(double[] losses) {
    return LossReweighting.weights(losses, strategy, r);
  }

  /** f(h) of the loss, h normalised by the range of the whole file (pass 1). */
  @Override
  double score(double loss) {
    return strategy.f(LossReweighting.normalizedLoss(loss, lmin, lmax));
  }

  @Override
  int rangePasses() {
    return 1;
  }

  @Override
  void observeRange(int pass, double loss) {
    lmin = Math.min(lmin, loss);
    lmax = Math.max(lmax, loss);
  }

  @Override
  String wholeFileStreaming() {
    return "three passes over the file (range, normaliser, output), O(1) memory; needs a file";
  }
}
