package dev.reweigh.demo.report;

import dev.reweigh.demo.DemoConfig;
import dev.reweigh.demo.stats.Estimate;
import dev.reweigh.demo.stats.Gate;
import dev.reweigh.demo.stats.Verdict;
import java.util.Locale;
import java.util.Map;

/**
 * The text printed at the end: the gates, then per method its accuracy and paired differences to
 * base and LMSI with 95% intervals and its round-1 selection, then each paper claim's verdict.
 */
public final class Table {
  private Table() {}

  /** The gates block (also the whole output of --calibrate). */
  public static String gates(DemoResult r) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "gates (base models, pooled over %d seed(s), 95%% intervals):%n",
        r.config().seeds));
    for (Gate g : r.gates()) {
      sb.append(String.format(Locale.ROOT, "  %-48s %s  %-4s  (%s)%n", g.name(), est(g.estimate(), false),
          g.pass() ? "PASS" : "FAIL", g.rule()));
    }
    for (Map.Entry<String, Estimate> d : r.diagnostics().entrySet()) {
      sb.append(String.format(Locale.ROOT, "  %-48s %s  (diagnostic)%n", d.getKey(),
          est(d.getValue(), d.getKey().contains(" - "))));
    }
    return sb.toString();
  }

  public static String render(DemoResult r) {
    StringBuilder sb = new StringBuilder(gates(r)).append('\n');
    int rounds = r.config().rounds;
    sb.append(String.format(Locale.ROOT, "%-14s %-22s %-25s %-25s %-25s %6s %5s %6s%n", "method",
        "accuracy [95% CI]", "vs base [95% CI]", "vs seed-only [95% CI]", "vs LMSI [95% CI]", "kept",
        "prec", "chains"));
    for (MethodResult m : r.methods().values()) {
      DemoResult.Comparison c = r.comparisons().get(m.name);
      sb.append(String.format(Locale.ROOT, "%-14s %-22s %-25s %-25s %-25s %6s %5s %6s%n", m.name,
          est(c.accuracy(), false), c.vsBase() == null ? "" : est(c.vsBase(), true),
          c.vsSeedOnly() == null ? "" : est(c.vsSeedOnly(), true),
          c.vsLmsi() == null ? "" : est(c.vsLmsi(), true),
          pct(MethodResult.mean(m.kept, 0)), num(MethodResult.mean(m.precision, 0)),
          num(MethodResult.mean(m.chainPrecision, 0))));
    }
    sb.append(String.format(Locale.ROOT,
        "accuracy: greedy test accuracy after round %d over %d seed(s) x %d questions; differences are paired"
            + " (same questions),%nintervals from a bootstrap over questions within each seed. seed-only:"
            + " the same fine-tuning on the seed set alone.%n"
            + "kept/prec/chains: round 1, fraction of sampled responses kept,%nfraction of them with the"
            + " right answer, with every step right (DPO-Sharp: chosen responses, one pair per question).%n%n",
        rounds, r.config().seeds, r.config().test));
    sb.append(recipe(r.config())).append('\n');
    sb.append("paper claims:\n");
    for (Verdict v : r.verdicts()) {
      sb.append(String.format(Locale.ROOT, "  %-48s %s  %-13s [%s]%n", v.claim(), est(v.difference(), true),
          v.outcome(), v.paper()));
    }
    return sb.toString();
  }

  /** The fine-tuning recipe and where it came from. */
  static String recipe(DemoConfig c) {
    Object overridden = c.recipe.get("overridden");
    return String.format(Locale.ROOT, "recipe: every method %.2g epoch(s) at lr %.0e; DPO-Sharp beta %.3g, lr %.1e;"
            + " %s%s%n", c.fineTuneEpochs, c.fineTuneLr, c.dpoBeta, c.dpoLr, c.recipe.get("source"),
        overridden instanceof java.util.List<?> l && !l.isEmpty() ? "; set here: " + l : "");
  }

  static String est(Estimate e, boolean signed) {
    String f = signed ? "%+.3f [%+.3f, %+.3f]" : "%.3f [%.3f, %.3f]";
    return String.format(Locale.ROOT, f, e.value(), e.lo(), e.hi());
  }

  private static String pct(double x) {
    return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * x);
  }

  private static String num(double x) {
    return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.2f", x);
  }
}
