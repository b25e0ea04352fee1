package dev.reweigh.bench;

import static dev.reweigh.bench.Summary.fmt;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code benchmarks/compare OLD.json NEW.json [--threshold 0.10]}: per-benchmark change between two
 * JMH result files (AverageTime, lower is better). Exits 1 when any benchmark got slower by more
 * than the threshold (default 10%) and by more than the noise, 0 otherwise, 2 on bad usage.
 * Benchmarks present in one file only are listed, never failed.
 *
 * <p>The noise is the spread between repeated measurements, not JMH's confidence interval (with
 * the quick plan's three iterations that interval is wide enough to hide a 2x slowdown): the
 * larger of the two runs' relative ranges, (slowest - fastest iteration) / median, over every
 * iteration of every fork. A change counts as a regression only when the new median is slower
 * than the old by more than that range, that is, when the two runs' iterations barely or never
 * overlap. benchmarks/compare-check shows it flagging a planted 2x slowdown and passing an
 * unchanged rerun.
 */
public final class Compare {
  private Compare() {}

  public static void main(String[] args) throws Exception {
    double threshold = 0.10;
    Path oldFile = null;
    Path newFile = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--threshold")) {
        threshold = Double.parseDouble(args[++i]);
      } else if (oldFile == null) {
        oldFile = Path.of(args[i]);
      } else if (newFile == null) {
        newFile = Path.of(args[i]);
      } else {
        oldFile = null;
        break;
      }
    }
    if (oldFile == null || newFile == null) {
      System.err.println("usage: compare OLD.json NEW.json [--threshold 0.10]  (JMH -rf json files)");
      System.exit(2);
    }
    JmhResults a = JmhResults.read(List.of(oldFile));
    JmhResults b = JmhResults.read(List.of(newFile));
    TreeSet<String> keys = new TreeSet<>(a.seconds.keySet());
    keys.addAll(b.seconds.keySet());
    int regressions = 0;
    System.out.println(fmt("%-72s %12s %12s %9s %9s", "benchmark", "old", "new", "change",
        "noise"));
    for (String k : keys) {
      Double o = a.seconds.get(k);
      Double n = b.seconds.get(k);
      if (o == null || n == null) {
        System.out.println(fmt("%-72s %12s %12s %9s", k, o == null ? "-" : time(o),
            n == null ? "-" : time(n), o == null ? "new" : "gone"));
        continue;
      }
      List<Double> oi = a.iterations.getOrDefault(k, List.of());
      List<Double> ni = b.iterations.getOrDefault(k, List.of());
      double om = oi.isEmpty() ? o : median(oi);
      double nm = ni.isEmpty() ? n : median(ni);
      double change = nm / om - 1;
      double noise = Math.max(spread(oi), spread(ni));
      boolean slower = change > threshold && change > noise;
      if (slower) {
        regressions++;
      }
      System.out.println(fmt("%-72s %12s %12s %+8.1f%% %8.1f%%%s", k, time(om), time(nm),
          100 * change, 100 * noise, slower ? "  REGRESSION" : ""));
    }
    System.out.println(fmt("%d regression(s) past %.0f%%", regressions, 100 * threshold));
    System.exit(regressions > 0 ? 1 : 0);
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  /**
   * (slowest - fastest) / median of one run's iterations; a single iteration has no spread to
   * measure, so it counts as infinitely noisy and can never fail the gate.
   */
  static double spread(List<Double> xs) {
    if (xs.size() < 2) {
      return Double.POSITIVE_INFINITY;
    }
    return (Collections.max(xs) - Collections.min(xs)) / median(xs);
  }

  private static String time(double s) {
    return s >= 1e-3 ? fmt("%.3f ms", s * 1e3) : fmt("%.2f us", s * 1e6);
  }
}
