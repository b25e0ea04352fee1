package dev.reweigh;

import java.util.List;
import java.util.Map;

/** Named option combinations shared by the kernel tests: each option alone, then all together. */
final class OptionSets {
  private OptionSets() {}

  static final Map<String, LossSpec> SETS = Map.of(
      "defaults", LossSpec.defaults(),
      "sum+tokens", LossSpec.builder().tokenReduction(TokenReduction.SUM)
          .normalization(Normalization.TOKENS).build(),
      "smoothing+samples", LossSpec.builder().labelSmoothing(0.1f)
          .normalization(Normalization.SAMPLES).build(),
      "zloss+none", LossSpec.builder().zLoss(1e-3f).normalization(Normalization.NONE).build(),
      "softcap+scale", LossSpec.builder().softcap(5f).logitScale(1.3f).build(),
      "all+explicit", LossSpec.builder().labelSmoothing(0.05f).zLoss(1e-4f).softcap(20f)
          .logitScale(0.8f).tokenReduction(TokenReduction.SUM).normalizer(7.5).build());

  static final List<String> NAMES = List.of(
      "defaults", "sum+tokens", "smoothing+samples", "zloss+none", "softcap+scale", "all+explicit");

  static LossSpec get(String name) {
    return SETS.get(name);
  }
}
