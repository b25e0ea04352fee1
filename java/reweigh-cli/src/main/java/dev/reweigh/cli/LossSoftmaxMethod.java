package dev.reweigh.cli;

import dev.reweigh.cli.unit.LogSumExp;
import dev.reweigh.cli.unit.Responses;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The common shape of the methods whose weights are a softmax over a batch of per-sample scores
 * computed from the loss alone ({@code loss-reweighting}, {@code kl-dro};
 * docs/methods.md §5 and §6); every candidate is kept.
 *
 * <p>With {@code --batch-size B > 0}: one pass over consecutive batches of B lines, memory O(B),
 * weights from {@link #batchWeights}. With B = 0 the whole input is one batch, read with O(1)
 * memory: {@link #rangePasses()} passes that let the subclass see every loss first (e.g. the loss
 * range), one pass that accumulates the softmax normaliser of {@link #score} online, and the
 * output pass.
 */
abstract class LossSoftmaxMethod extends WeighMethod {

  private final int batchSize;
  private final LogSumExp normaliser;

  LossSoftmaxMethod(double temperature, int batchSize) {
    this.batchSize = batchSize;
    this.normaliser = new LogSumExp(temperature);
  }

  /** Weights of one batch of losses (the library method). */
  abstract double[] batchWeights(double[] losses);

  /** The softmax argument of one loss, before division by the temperature. */
  abstract double score(double loss);

  /** Passes before the normaliser pass in whole-file mode. */
  abstract int rangePasses();

  /** Sees one loss in pass {@code pass < rangePasses()}. */
  void observeRange(int pass, double loss) {}

  /** The streaming description of whole-file mode. */
  abstract String wholeFileStreaming();

  @Override
  final Set<Field> required() {
    return EnumSet.of(Field.LOSS);
  }

  @Override
  final UnitReader.Unit unit() {
    return batchSize > 0 ? UnitReader.Unit.BATCH : UnitReader.Unit.LINE;
  }

  @Override
  final int batchSize() {
    return batchSize;
  }

  @Override
  final int observationPasses() {
    return batchSize > 0 ? 0 : rangePasses() + 1;
  }

  @Override
  final void observe(int pass, List<Candidate> line) {
    double l = line.get(0).loss();
    if (pass < rangePasses()) {
      observeRange(pass, l);
    } else {
      normaliser.add(score(l));
    }
  }

  @Override
  final Decision[] decide(List<Candidate> unit) {
    if (batchSize > 0) {
      return Decision.keepAll(batchWeights(Responses.losses(unit)));
    }
    return new Decision[] {Decision.of(normaliser.weight(score(unit.get(0).loss())), true)};
  }

  @Override
  final boolean usesAnswers() {
    return false;
  }

  @Override
  final String streaming() {
    return batchSize > 0
        ? "one pass; memory: one batch of " + batchSize + " lines"
        : wholeFileStreaming();
  }
}
