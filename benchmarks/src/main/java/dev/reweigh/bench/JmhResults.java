package dev.reweigh.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** JMH {@code -rf json} results, keyed "Class.method shape=.. dtype=..", scores in seconds/op. */
final class JmhResults {
  final List<Object> raw = new ArrayList<>();
  final Map<String, Double> seconds = new LinkedHashMap<>();
  final Map<String, Double> relError = new LinkedHashMap<>();
  /** Every measured iteration (all forks), seconds per op: the spread between repeated runs. */
  final Map<String, List<Double>> iterations = new LinkedHashMap<>();

  static JmhResults read(List<Path> files) throws IOException {
    JmhResults r = new JmhResults();
    for (Path f : files) {
      Object root = Json.parse(Files.readString(f));
      if (!(root instanceof List)) {
        throw new IllegalArgumentException(f + " is not a JMH json result (expected an array)");
      }
      for (Object o : (List<?>) root) {
        r.add(o);
      }
    }
    return r;
  }

  @SuppressWarnings("unchecked")
  private void add(Object o) {
    Map<String, Object> m = (Map<String, Object>) o;
    raw.add(m);
    String bench = (String) m.get("benchmark");
    String simple = bench.substring(bench.lastIndexOf('.', bench.lastIndexOf('.') - 1) + 1);
    Map<String, Object> params = (Map<String, Object>) m.getOrDefault("params", Map.of());
    Map<String, Object> pm = (Map<String, Object>) m.get("primaryMetric");
    double score = ((Number) pm.get("score")).doubleValue();
    Object err = pm.get("scoreError");
    String unit = (String) pm.get("scoreUnit");
    double scale = toSeconds(unit);
    String key = key(simple, params);
    seconds.put(key, score * scale);
    if (err instanceof Number && score != 0) {
      relError.put(key, Math.abs(((Number) err).doubleValue() / score));
    }
    List<Double> its = new ArrayList<>();
    Object rawData = pm.get("rawData");
    if (rawData instanceof List) {
      for (Object fork : (List<?>) rawData) {
        for (Object it : (List<?>) fork) {
          its.add(((Number) it).doubleValue() * scale);
        }
      }
    }
    iterations.put(key, its);
  }

  /**
   * "Class.method k=v ..." in key order. The trial-variant parameters at their defaults ({@code
   * isa=auto}, {@code threads=0}: see {@link BenchState}) are left out, so a default run keys as
   * runs from before those parameters existed.
   */
  static String key(String simple, Map<String, ?> params) {
    StringBuilder b = new StringBuilder(simple);
    for (Map.Entry<String, ?> e : new TreeMap<>(params).entrySet()) {
      String v = String.valueOf(e.getValue());
      if ((e.getKey().equals("isa") && v.equals("auto")) || (e.getKey().equals("threads") && v.equals("0"))) {
        continue;
      }
      b.append(' ').append(e.getKey()).append('=').append(v);
    }
    return b.toString();
  }

  /** Seconds per op of a benchmark, or NaN when it was not run. */
  double get(String simple, String shape, String dtype) {
    return get(simple, shape, dtype, "auto", 0);
  }

  /** Seconds per op of a benchmark run with a given CPU variant and thread count, or NaN. */
  double get(String simple, String shape, String dtype, String isa, int threads) {
    Map<String, String> p = new TreeMap<>();
    p.put("shape", shape);
    if (dtype != null) {
      p.put("dtype", dtype);
    }
    p.put("isa", isa);
    p.put("threads", Integer.toString(threads));
    return seconds.getOrDefault(key(simple, p), Double.NaN);
  }

  static double toSeconds(String unit) {
    switch (unit) {
      case "s/op": return 1;
      case "ms/op": return 1e-3;
      case "us/op": return 1e-6;
      case "ns/op": return 1e-9;
      default: throw new IllegalArgumentException("unsupported JMH unit " + unit
          + " (the suite uses AverageTime)");
    }
  }
}
