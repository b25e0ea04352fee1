package dev.reweigh.cli;

import dev.reweigh.weighting.KlDro;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code kl-dro}: w_i = softmax_i(l_i / r) over a batch (docs/methods.md §6); every candidate is
 * kept. With {@code --batch-size B > 0}: one pass, memory O(B). With B = 0 the whole input is one
 * batch: pass 1 accumulates the normaliser online (running max, rescaled sum), pass 2 writes;
 * O(1) memory.
 */
final class KlDroMethod extends Method {

  private final double r;
  private final int batchSize;
  private final OnlineSoftmax normaliser;

  KlDroMethod(double temperature, int batchSize) {
    this.r = temperature;
    this.batchSize = batchSize;
    this.normaliser = new OnlineSoftmax(temperature);
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
    return batchSize > 0 ? 0 : 1;
  }

  @Override
  void observe(int pass, List<Candidate> line) {
    normaliser.add(line.get(0).loss());
  }

  @Override
  Decision[] decide(List<Candidate> unit) {
    if (batchSize > 0) {
      return OnlineSoftmax.keepAll(KlDro.weights(losses(unit), r));
    }
    return new Decision[] {Decision.of(normaliser.weight(unit.get(0).loss()), true)};
  }

  @Override
  boolean usesAnswers() {
    return false;
  }

  @Override
  String streaming() {
    return batchSize > 0
        ? "one pass; memory: one batch of " + batchSize + " lines"
        : "two passes over the file (normaliser, output), O(1) memory; needs a file";
  }
}
