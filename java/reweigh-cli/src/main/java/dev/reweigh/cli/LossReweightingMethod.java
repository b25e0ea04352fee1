package dev.reweigh.cli;

import dev.reweigh.weighting.LossReweighting;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code loss-reweighting}: w_i = softmax_i(f(h_i) / r) over a batch (Sow et al.,
 * arXiv:2502.06733; docs/methods.md §5); every candidate is kept.
 *
 * <p>With {@code --batch-size B > 0}: one pass, consecutive batches of B lines, memory O(B). With
 * B = 0 the whole input is one batch, read three times with O(1) memory: pass 1 finds lmin and
 * lmax, pass 2 accumulates the softmax normaliser online (running max and rescaled sum), pass 3
 * writes {@code exp((f_i - m) / r) / Z}.
 */
final class LossReweightingMethod extends Method {

  private final LossReweighting.Strategy strategy;
  private final double r;
  private final int batchSize;
  private double lmin = Double.POSITIVE_INFINITY;
  private double lmax = Double.NEGATIVE_INFINITY;
  private final OnlineSoftmax normaliser;

  LossReweightingMethod(LossReweighting.Strategy strategy, double temperature, int batchSize) {
    this.strategy = strategy;
    this.r = temperature;
    this.batchSize = batchSize;
    this.normaliser = new OnlineSoftmax(temperature);
    parameters.put("strategy", strategy.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    parameters.put("temperature", temperature);
    parameters.put("batch_size", batchSize);
  }

  @Override
  Set<Field> required() {
    return EnumSet.of(Field.LOSS);
  }

  @Override
  UnitReader.Unit unit() {
    return batchSize > 0 ? UnitReader.Unit.BATCH : UnitReader.Unit.LINE;
  }

  @Override
  int batchSize() {
    return batchSize;
  }

  @Override
  int observationPasses() {
    return batchSize > 0 ? 0 : 2;
  }

  private double f(double loss) {
    return strategy.f(LossReweighting.normalizedLoss(loss, lmin, lmax));
  }

  @Override
  void observe(int pass, List<Candidate> line) {
    double l = line.get(0).loss();
    if (pass == 0) {
      lmin = Math.min(lmin, l);
      lmax = Math.max(lmax, l);
    } else {
      normaliser.add(f(l));
    }
  }

  @Override
  Decision[] decide(List<Candidate> unit) {
    if (batchSize > 0) {
      return OnlineSoftmax.keepAll(LossReweighting.weights(losses(unit), strategy, r));
    }
    return new Decision[] {Decision.of(normaliser.weight(f(unit.get(0).loss())), true)};
  }

  @Override
  boolean usesAnswers() {
    return false;
  }

  @Override
  String streaming() {
    return batchSize > 0
        ? "one pass; memory: one batch of " + batchSize + " lines"
        : "three passes over the file (range, normaliser, output), O(1) memory; needs a file";
  }
}
