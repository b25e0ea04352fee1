package dev.reweigh.cli;

import dev.reweigh.cli.unit.Responses;
import dev.reweigh.weighting.SelfConsistency;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The shape of {@code iwsi} and {@code iwsi-w}: per question, the LMSI majority filter, then a
 * weight of each loss against the validation mean loss Lv (Jiang et al., arXiv:2408.09849, Eq.
 * 3-8; docs/methods.md §2).
 */
abstract class MajorityLossMethod extends WeighMethod {

  /** Lv, the validation mean loss. */
  final double validMeanLoss;

  MajorityLossMethod(double validMeanLoss) {
    this.validMeanLoss = validMeanLoss;
    parameters.put("valid_mean_loss", validMeanLoss);
  }

  @Override
  final Set<Field> required() {
    return EnumSet.of(Field.QUESTION_ID, Field.LOSS);
  }

  /** Which candidates of question {@code q} give the majority answer (docs/methods.md §1). */
  static boolean[] majority(List<Candidate> q) {
    return SelfConsistency.lmsiKeep(Responses.answers(q));
  }
}
