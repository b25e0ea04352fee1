package dev.reweigh.testkit;

import dev.reweigh.LossSpec;
import dev.reweigh.testkit.RefOptions.Mode;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The one grid of loss options every Java test module draws from, each set written once as test
 * literals ({@link RefOptions}): the kernel gets the LossSpec built from them, the references and
 * the peers read the literals. Each module takes the view its subject can express:
 * {@link #KERNEL} (each option alone, then all together: every kernel and every float64
 * comparison), {@link #TORCH} (what libtorch composes from its ops, including an ignore index
 * that is a real class and negative coefficients) and {@link #ND4J} (label smoothing and weights
 * only). A new option gets its set here and is then covered by every suite that iterates a view.
 */
public final class OptionGrid {
  private OptionGrid() {}

  /**
   * A labelled option set. {@code negative}: some coefficients are negative (DPO's rejected side;
   * only under a normaliser that allows a signed sum).
   */
  public record Named(String label, RefOptions o, boolean negative) {
    /** The LossSpec under test, built from the literals. */
    public LossSpec spec() {
      return o.spec();
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** Each option alone, then all of them together. */
  public static final List<Named> KERNEL = List.of(
      new Named("defaults", RefOptions.DEFAULTS, false),
      new Named("sum+tokens", RefOptions.DEFAULTS.summed().mode(Mode.TOKENS), false),
      new Named("smoothing+samples", RefOptions.DEFAULTS.eps(0.1).mode(Mode.SAMPLES), false),
      new Named("zloss+none", RefOptions.DEFAULTS.lambda(1e-3).mode(Mode.NONE), true),
      new Named("softcap+scale", RefOptions.DEFAULTS.softcap(5).scale(1.3), false),
      new Named("all+explicit", RefOptions.DEFAULTS.eps(0.05).lambda(1e-4).softcap(20).scale(0.8)
          .summed().explicit(7.5), false));

  /** Options libtorch can express (it composes scale, softcap and z-loss from ops). */
  public static final List<Named> TORCH = List.of(
      new Named("defaults (MEAN, WEIGHT_SUM)", RefOptions.DEFAULTS, false),
      new Named("smoothing 0.1, SUM, TOKENS",
          RefOptions.DEFAULTS.eps(0.1).summed().mode(Mode.TOKENS), false),
      new Named("ignore_index 2 (a real class), SAMPLES",
          RefOptions.DEFAULTS.ignore(2).mode(Mode.SAMPLES), false),
      new Named("NONE, negative coefficients", RefOptions.DEFAULTS.mode(Mode.NONE), true),
      new Named("D=7.5, logitScale 0.7, softcap 15",
          RefOptions.DEFAULTS.explicit(7.5).scale(0.7).softcap(15), false),
      new Named("z-loss 1e-3, smoothing 0.05", RefOptions.DEFAULTS.lambda(1e-3).eps(0.05),
          false));

  /** ND4J's SoftmaxCrossEntropyLoss has label smoothing and weights, nothing else. */
  public static final List<Named> ND4J = List.of(
      TORCH.get(0),
      TORCH.get(1),
      TORCH.get(3),
      new Named("smoothing 0.2, D=3.25", RefOptions.DEFAULTS.eps(0.2).explicit(3.25), false));

  /** The labels of {@link #KERNEL}, in order: the parameter source of the kernel suites. */
  public static final List<String> KERNEL_LABELS = KERNEL.stream().map(Named::label).toList();

  /** The set of {@link #KERNEL} called {@code label}. */
  public static Named kernel(String label) {
    return KERNEL.stream().filter(n -> n.label().equals(label)).findFirst()
        .orElseThrow(() -> new NoSuchElementException(label));
  }
}
