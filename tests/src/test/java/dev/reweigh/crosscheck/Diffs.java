package dev.reweigh.crosscheck;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Largest differences found against one peer, per quantity, with the case that produced each;
 * asserted against a stated bound and written to {@code target/crosscheck/<peer>.txt} plus stdout
 * so the numbers can be reported.
 *
 * <p>The error measure is {@code |reweigh - peer| / (atolScale + |peer|)}: relative for values
 * well above {@code atolScale}, absolute (in units of atolScale) for values near 0.
 */
final class Diffs {
  private final String peer;
  private final Map<String, double[]> max = new LinkedHashMap<>();
  private final Map<String, String> where = new LinkedHashMap<>();
  private final List<String> lines = new ArrayList<>();
  private int cases;

  Diffs(String peer) {
    this.peer = peer;
  }

  synchronized void caseDone() {
    cases++;
  }

  /** Records and returns the largest scaled difference of {@code got} against {@code want}. */
  synchronized double record(String quantity, String caseLabel, double[] got, double[] want,
      double atolScale) {
    if (got.length != want.length) {
      throw new AssertionError(quantity + ": " + got.length + " values vs " + want.length
          + " from " + peer + " in " + caseLabel);
    }
    double worst = 0;
    double worstAbs = 0;
    int at = -1;
    for (int i = 0; i < got.length; i++) {
      double abs = Math.abs(got[i] - want[i]);
      double scaled = abs / (atolScale + Math.abs(want[i]));
      if (Double.isNaN(got[i]) != Double.isNaN(want[i]) || Double.isNaN(scaled)) {
        throw new AssertionError(quantity + "[" + i + "]: reweigh " + got[i] + " vs " + peer
            + " " + want[i] + " (NaN mismatch) in " + caseLabel);
      }
      if (scaled > worst) {
        worst = scaled;
        worstAbs = abs;
        at = i;
      }
    }
    double[] m = max.computeIfAbsent(quantity, k -> new double[2]);
    if (worst > m[0]) {
      m[0] = worst;
      m[1] = worstAbs;
      where.put(quantity, caseLabel + (at >= 0 ? " at [" + at + "]" : ""));
    }
    return worst;
  }

  /** Fails with the worst index and values when the scaled difference exceeds {@code bound}. */
  void check(String quantity, String caseLabel, double[] got, double[] want, double atolScale,
      double bound) {
    double worst = record(quantity, caseLabel, got, want, atolScale);
    if (worst > bound) {
      int bad = -1;
      int count = 0;
      for (int i = 0; i < got.length; i++) {
        if (Math.abs(got[i] - want[i]) / (atolScale + Math.abs(want[i])) > bound) {
          bad = bad < 0 ? i : bad;
          count++;
        }
      }
      throw new AssertionError(String.format("%s vs %s: %d of %d values off by more than %.1e"
          + " (scaled), worst %.3e; first at [%d]: reweigh %.9g, %s %.9g; case %s", quantity, peer,
          count, got.length, bound, worst, bad, got[bad], peer, want[bad], caseLabel));
    }
  }

  void note(String line) {
    synchronized (this) {
      lines.add(line);
    }
  }

  /** Writes the report; call from @AfterAll. */
  synchronized String report() {
    StringBuilder sb = new StringBuilder();
    sb.append("Reweigh vs ").append(peer).append(": ").append(cases).append(" cases\n");
    sb.append(String.format("%-26s %-12s %-12s %s%n", "quantity", "max scaled", "max abs",
        "where"));
    for (Map.Entry<String, double[]> e : max.entrySet()) {
      sb.append(String.format("%-26s %-12.3e %-12.3e %s%n", e.getKey(), e.getValue()[0],
          e.getValue()[1], where.get(e.getKey())));
    }
    for (String l : lines) {
      sb.append(l).append('\n');
    }
    String text = sb.toString();
    System.out.println(text);
    try {
      Path dir = Path.of("target", "crosscheck");
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(peer.replaceAll("[^A-Za-z0-9._-]", "_") + ".txt"), text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text;
  }

  int cases() {
    return cases;
  }
}
