package dev.reweigh.cli;

import dev.reweigh.weighting.KlDro;

/**
 * {@code kl-dro}: w_i = softmax_i(l_i / r) over a batch (docs/methods.md §6); every candidate is
 * kept. With B = 0 (whole file): pass 1 accumulates the normaliser online (running max, rescaled
 * sum), pass 2 writes; O(1) memory.
 */
final class KlDroMethod extends LossSoftmaxMethod {

  private final double r;

  KlDroMethod(double temperature, int batchSize) {
    super(temperature, batchSize);
    this.r = temperature;
    parameters.put("temperature", temperature);
    parameters.put("batch_size", batchSize);
  }

  @Override
  double[] batchWeights(double[] losses) {
    return KlDro.weights(losses, r);
  }

  @Override
  double score(double loss) {
    return loss;
  }

  @Override
  int rangePasses() {
    return 0;
  }

  @Override
  String wholeFileStreaming() {
    return "two passes over the file (normaliser, output), O(1) memory; needs a file";
  }
}
