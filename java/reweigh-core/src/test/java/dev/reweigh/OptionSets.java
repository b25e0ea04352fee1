package dev.reweigh;

import dev.reweigh.RefOptions.Mode;
import java.util.List;
import java.util.Map;

/**
 * Named option combinations shared by the kernel tests: each option alone, then all together.
 * Each is written once as test literals ({@link RefOptions}); the kernel gets the LossSpec built
 * from them, the reference reads the literals.
 */
final class OptionSets {
  private OptionSets() {}

  static final Map<String, RefOptions> SETS = Map.of(
      "defaults", RefOptions.DEFAULTS,
      "sum+tokens", RefOptions.DEFAULTS.summed().mode(Mode.TOKENS),
      "smoothing+samples", RefOptions.DEFAULTS.eps(0.1).mode(Mode.SAMPLES),
      "zloss+none", RefOptions.DEFAULTS.lambda(1e-3).mode(Mode.NONE),
      "softcap+scale", RefOptions.DEFAULTS.softcap(5).scale(1.3),
      "all+explicit", RefOptions.DEFAULTS.eps(0.05).lambda(1e-4).softcap(20).scale(0.8).summed()
          .explicit(7.5));

  static final List<String> NAMES = List.of(
      "defaults", "sum+tokens", "smoothing+samples", "zloss+none", "softcap+scale", "all+explicit");

  /** The LossSpec under test for {@code name}. */
  static LossSpec get(String name) {
    return SETS.get(name).spec();
  }

  /** The reference's options for {@code name}. */
  static RefOptions ref(String name) {
    return SETS.get(name);
  }
}
