package dev.reweigh.spark;

import java.util.EnumSet;
import java.util.Set;

/**
 * The shape of {@code iwsi} and {@code iwsi-w}: per question, the LMSI majority filter, then a
 * weight of each loss against the validation mean loss Lv (Jiang et al., arXiv:2408.09849, Eq.
 * 3-8; docs/methods.md §2).
 *
 * @param <W> the concrete weigher, for chained setters
 */
abstract class MajorityLossWeigher<W extends MajorityLossWeigher<W>> extends Weigher<W> {

  /** Lv, the validation mean loss. */
  final double validMeanLoss;

  MajorityLossWeigher(double validMeanLoss) {
    this.validMeanLoss = Params.positive(validMeanLoss, "validMeanLoss");
  }

  @Override
  final Set<Field> required() {
    return EnumSet.of(Field.QUESTION_ID, Field.LOSS);
  }
}
