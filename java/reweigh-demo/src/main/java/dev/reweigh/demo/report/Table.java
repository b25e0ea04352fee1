package dev.reweigh.demo.report;

import java.util.Locale;

/**
 * The text table printed at the end: final-round accuracy (mean and spread over seeds), its
 * difference to LMSI, accuracy per round, and round-1 selection statistics.
 */
public final class Table {
  private Table() {}

  public static String render(DemoResult r) {
    int rounds = r.config().rounds;
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-10s %-15s %-8s", "method", "accuracy", "vs LMSI"));
    for (int c = 0; c <= rounds; c++) {
      sb.append(String.format(Locale.ROOT, " %6s", "r" + c));
    }
    sb.append(String.format(Locale.ROOT, " %7s %7s %8s %8s%n", "kept", "prec", "w(ok)", "w(bad)"));
    MethodResult lmsi = r.methods().get("LMSI");
    double lmsiFinal = lmsi == null ? Double.NaN : MethodResult.mean(lmsi.accuracy, rounds);
    for (MethodResult m : r.methods().values()) {
      double mean = MethodResult.mean(m.accuracy, rounds);
      double sd = MethodResult.std(m.accuracy, rounds);
      sb.append(String.format(Locale.ROOT, "%-10s %.3f ± %.3f   %-8s", m.name, mean, sd,
          m.name.equals("LMSI") ? "" : String.format(Locale.ROOT, "%+.3f", mean - lmsiFinal)));
      for (int c = 0; c <= rounds; c++) {
        sb.append(String.format(Locale.ROOT, " %6.3f", MethodResult.mean(m.accuracy, c)));
      }
      sb.append(String.format(Locale.ROOT, " %7s %7s %8s %8s%n",
          pct(MethodResult.mean(m.kept, 0)), num(MethodResult.mean(m.precision, 0)),
          num(MethodResult.mean(m.weightCorrect, 0)), num(MethodResult.mean(m.weightIncorrect, 0))));
    }
    sb.append(String.format(Locale.ROOT,
        "accuracy: greedy test accuracy after the last round, mean ± sd over %d seed(s); r0 = base model.%n"
            + "kept/prec/w: round 1, fraction of sampled responses kept, fraction of kept with the right answer,%n"
            + "mean weight of kept samples with a correct / incorrect answer (DPO: +1 chosen, -1 rejected).%n",
        r.config().seeds));
    return sb.toString();
  }

  private static String pct(double x) {
    return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * x);
  }

  private static String num(double x) {
    return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.3f", x);
  }
}
