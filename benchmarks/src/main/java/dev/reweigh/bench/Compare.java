package dev.reweigh.bench;

import static dev.reweigh.bench.Summary.fmt;

import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code benchmarks/compare OLD.json NEW.json [--threshold 0.10]}: per-benchmark change between two
 * JMH result files (AverageTime, lower is better). Exits 1 when any benchmark got slower by more
 * than the threshold (default 10%) and by more than the two runs' combined 99.9% error, 0
 * otherwise, 2 on bad usage. Benchmarks present in one file only are listed, never failed.
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
    System.out.println(fmt("%-72s %12s %12s %9s", "benchmark", "old", "new", "change"));
    for (String k : keys) {
      Double o = a.seconds.get(k);
      Double n = b.seconds.get(k);
      if (o == null || n == null) {
        System.out.println(fmt("%-72s %12s %12s %9s", k, o == null ? "-" : time(o),
            n == null ? "-" : time(n), o == null ? "new" : "gone"));
        continue;
      }
      double change = n / o - 1;
      double noise = a.relError.getOrDefault(k, 0.0) + b.relError.getOrDefault(k, 0.0);
      boolean slower = change > threshold && change > noise;
      if (slower) {
        regressions++;
      }
      System.out.println(fmt("%-72s %12s %12s %+8.1f%%%s", k, time(o), time(n), 100 * change,
          slower ? "  REGRESSION" : ""));
    }
    System.out.println(fmt("%d regression(s) past %.0f%%", regressions, 100 * threshold));
    System.exit(regressions > 0 ? 1 : 0);
  }

  private static String time(double s) {
    return s >= 1e-3 ? fmt("%.3f ms", s * 1e3) : fmt("%.2f us", s * 1e6);
  }
}
