package dev.reweigh.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns one run's JMH results (plus the memory probe and the C overhead timings) into the summary
 * JSON and the README's markdown table. All ratios come from the same run:
 *
 * <pre>
 *   bytes          forward: rows*V*elemSize; forwardBackward, backward: 2*rows*V*elemSize
 *   copy B/s       2 * rows*V*elemSize / RooflineBench.copy time   (one read + one write)
 *   read B/s       rows*V*elemSize / RooflineBench.read time
 *   roofline_fraction       kernel B/s / copy B/s
 *   read_roofline_fraction  kernel B/s / read B/s                (forward only)
 *   speedup_vs_libtorch     libtorch time / Reweigh time, same op, shape and dtype
 * </pre>
 *
 * <p>Usage: {@code Summary --out S.json --merged-jmh J.json [--markdown T.md] [--memory M.jsonl]
 * [--overhead-c C.json] [--meta key=value]... JMH.json...}
 */
public final class Summary {
  private Summary() {}

  static final String[] OPS = {"forward", "forwardBackward", "backward"};
  static final String TARGET_SHAPE = "4096x32000";
  static final String TINY_SHAPE = "8x32000";

  public static void main(String[] args) throws IOException {
    Path out = null;
    Path merged = null;
    Path markdown = null;
    Path memory = null;
    Path paired = null;
    List<Path> overheadC = new ArrayList<>();
    Map<String, Object> meta = new LinkedHashMap<>();
    List<Path> jmh = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--out": out = Path.of(args[++i]); break;
        case "--merged-jmh": merged = Path.of(args[++i]); break;
        case "--markdown": markdown = Path.of(args[++i]); break;
        case "--memory": memory = Path.of(args[++i]); break;
        case "--paired": paired = Path.of(args[++i]); break;
        case "--overhead-c": overheadC.add(Path.of(args[++i])); break;
        case "--meta": {
          String kv = args[++i];
          int eq = kv.indexOf('=');
          meta.put(kv.substring(0, eq), kv.substring(eq + 1));
          break;
        }
        default: jmh.add(Path.of(args[i]));
      }
    }
    if (out == null || jmh.isEmpty()) {
      System.err.println("usage: Summary --out S.json [--merged-jmh J.json] [--markdown T.md]"
          + " [--memory M.jsonl] [--overhead-c C.json] [--meta k=v]... JMH.json...");
      System.exit(2);
    }
    JmhResults r = JmhResults.read(jmh);
    if (merged != null) {
      Files.writeString(merged, Json.write(r.raw));
    }
    Map<String, Map<String, Object>> mem = readMemory(memory);
    Map<String, Map<String, Object>> pairs = readLines(paired, "shape", "dtype");
    Map<String, Object> cTimes = fastestC(overheadC);

    Map<String, Object> summary = new LinkedHashMap<>(meta);
    summary.put("byte_model", "forward reads rows*V*elemSize; forwardBackward and backward read and"
        + " write it (2x); copy roofline = 2*bytes/copy time; read roofline = bytes/read time");
    List<Object> results = new ArrayList<>();
    for (String shape : shapes(r)) {
      for (String dtype : new String[] {"f32", "bf16"}) {
        Map<String, Object> entry = entry(r, mem, shape, dtype);
        if (entry != null) {
          Map<String, Object> pr = pairs.get(shape + " " + dtype);
          if (pr != null) {
            entry.put("paired", pr);
          }
          results.add(entry);
        }
      }
    }
    summary.put("results", results);
    List<Object> overhead = overhead(r, cTimes);
    summary.put("overhead", overhead);
    summary.put("targets", targets(results, overhead));
    Files.writeString(out, Json.write(summary));
    if (markdown != null) {
      Files.writeString(markdown, Markdown.table(summary));
    }
    System.out.print(Markdown.targets(summary));
  }

  private static Set<String> shapes(JmhResults r) {
    Set<String> shapes = new LinkedHashSet<>();
    for (String k : r.seconds.keySet()) {
      if (k.startsWith("OverheadBench")) {
        continue;
      }
      int at = k.indexOf("shape=");
      if (at >= 0) {
        int end = k.indexOf(' ', at);
        shapes.add(k.substring(at + 6, end < 0 ? k.length() : end));
      }
    }
    return shapes;
  }

  private static Map<String, Object> entry(JmhResults r, Map<String, Map<String, Object>> mem,
      String shape, String dtype) {
    BenchData.Shape s = BenchData.Shape.parse(shape);
    double bytes = s.elements() * (dtype.equals("f32") ? 4.0 : 2.0);
    double copy = r.get("RooflineBench.copy", shape, dtype);
    double read = r.get("RooflineBench.read", shape, dtype);
    double copyBps = 2 * bytes / copy;
    double readBps = bytes / read;
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("shape", shape);
    e.put("dtype", dtype);
    e.put("logit_bytes", (long) bytes);
    Map<String, Object> roof = new LinkedHashMap<>();
    roof.put("copy_ms", copy * 1e3);
    roof.put("copy_bytes_per_s", copyBps);
    roof.put("read_ms", read * 1e3);
    roof.put("read_bytes_per_s", readBps);
    e.put("roofline", roof);

    boolean any = false;
    String[][] impls = {{"reweigh", "ForwardBench.forward", "ForwardBackwardBench.forwardBackward",
        "BackwardBench.backward"}, {"libtorch", "LibtorchBench.forward",
        "LibtorchBench.forwardBackward", null}, {"plain_java", "PlainJavaBench.forward",
        "PlainJavaBench.forwardBackward", null}};
    Map<String, Map<String, Object>> byImpl = new LinkedHashMap<>();
    for (String[] impl : impls) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (int op = 0; op < OPS.length; op++) {
        if (impl[op + 1] == null) {
          continue;
        }
        double t = r.get(impl[op + 1], shape, dtype);
        if (Double.isNaN(t)) {
          continue;
        }
        any = true;
        double opBytes = op == 0 ? bytes : 2 * bytes;
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("ms", t * 1e3);
        o.put("bytes_per_s", opBytes / t);
        o.put("roofline_fraction", opBytes / t / copyBps);
        if (op == 0) {
          o.put("read_roofline_fraction", opBytes / t / readBps);
        }
        m.put(OPS[op], o);
      }
      Map<String, Object> probe = mem.get(impl[0] + " " + shape + " " + dtype);
      if (probe != null) {
        // Steady-state call for libtorch; Reweigh's figure is its cold first call (the larger:
        // it includes the per-thread row scratch, allocated once and kept).
        Object bytesExtra = impl[0].equals("reweigh")
            ? Math.max(num(probe.get("first_call_extra_bytes")), num(probe.get("warm_call_extra_bytes")))
            : num(probe.get("warm_call_extra_bytes"));
        m.put("extra_memory_bytes", ((Number) bytesExtra).longValue());
        m.put("extra_memory_first_call_bytes", (long) num(probe.get("first_call_extra_bytes")));
        m.put("extra_memory_warm_call_bytes", (long) num(probe.get("warm_call_extra_bytes")));
        m.put("extra_memory_over_logit_bytes", ((Number) bytesExtra).doubleValue() / bytes);
      }
      if (!m.isEmpty()) {
        byImpl.put(impl[0], m);
      }
    }
    if (!any) {
      return null;
    }
    // Speedups of Reweigh over each peer, same op.
    Map<String, Object> rw = byImpl.get("reweigh");
    for (String peer : new String[] {"libtorch", "plain_java"}) {
      Map<String, Object> p = byImpl.get(peer);
      if (rw == null || p == null) {
        continue;
      }
      for (String op : OPS) {
        Map<String, Object> mine = asMap(rw.get(op));
        Map<String, Object> theirs = asMap(p.get(op));
        if (mine != null && theirs != null) {
          mine.put("speedup_vs_" + peer, num(theirs.get("ms")) / num(mine.get("ms")));
        }
      }
    }
    e.putAll(byImpl);
    return e;
  }

  private static List<Object> overhead(JmhResults r, Map<String, Object> cTimes) {
    List<Object> rows = new ArrayList<>();
    Set<String> shapes = new LinkedHashSet<>();
    for (String k : r.seconds.keySet()) {
      if (k.startsWith("OverheadBench")) {
        shapes.add(k.substring(k.indexOf("shape=") + 6).split(" ")[0]);
      }
    }
    for (String shape : shapes) {
      for (String op : new String[] {"forward", "forwardBackward"}) {
        String cap = Character.toUpperCase(op.charAt(0)) + op.substring(1);
        double heap = r.get("OverheadBench.heap" + cap, shape, null);
        double ptr = r.get("OverheadBench.pointer" + cap, shape, null);
        Map<String, Object> c = asMap(cTimes.get(shape));
        double cUs = c == null || c.get(op + "_us") == null ? Double.NaN : num(c.get(op + "_us"));
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("shape", shape);
        o.put("op", op);
        o.put("java_heap_us", heap * 1e6);
        o.put("java_pointer_us", ptr * 1e6);
        o.put("c_us", cUs);
        o.put("heap_over_c", heap * 1e6 / cUs);
        o.put("pointer_over_c", ptr * 1e6 / cUs);
        rows.add(o);
      }
    }
    return rows;
  }

  private static List<Object> targets(List<Object> results, List<Object> overhead) {
    List<Object> t = new ArrayList<>();
    Map<String, Object> f32 = find(results, TARGET_SHAPE, "f32");
    Map<String, Object> bf16 = find(results, TARGET_SHAPE, "bf16");
    Map<String, Object> rw = f32 == null ? null : asMap(f32.get("reweigh"));
    Map<String, Object> rwb = bf16 == null ? null : asMap(bf16.get("reweigh"));
    Map<String, Object> pf = f32 == null ? null : asMap(f32.get("paired"));
    target(t, "forwardBackward fp32 " + TARGET_SHAPE + ": fraction of the copy roofline",
        get(rw, "forwardBackward", "roofline_fraction"), ">=", 0.85)
        .put("paired", field(pf, "forwardBackward_roofline_fraction"));
    target(t, "forward fp32 " + TARGET_SHAPE + ": fraction of the read roofline",
        get(rw, "forward", "read_roofline_fraction"), ">=", 0.85)
        .put("paired", field(pf, "forward_read_roofline_fraction"));
    target(t, "forwardBackward fp32 " + TARGET_SHAPE + ": speedup vs libtorch",
        get(rw, "forwardBackward", "speedup_vs_libtorch"), ">=", 20)
        .put("paired", field(pf, "forwardBackward_speedup_vs_libtorch"));
    target(t, "forward fp32 " + TARGET_SHAPE + ": speedup vs libtorch",
        get(rw, "forward", "speedup_vs_libtorch"), ">=", 6)
        .put("paired", field(pf, "forward_speedup_vs_libtorch"));
    target(t, "Reweigh extra memory fp32 " + TARGET_SHAPE + " / logit bytes (O(rows), not O(rows x V))",
        rw == null || rw.get("extra_memory_over_logit_bytes") == null ? Double.NaN
            : num(rw.get("extra_memory_over_logit_bytes")), "<=", 0.01);
    for (String op : OPS) {
      double a = get(rwb, op, "ms");
      double b = get(rw, op, "ms");
      Map<String, Object> pb = bf16 == null ? null : asMap(bf16.get("paired"));
      target(t, op + " " + TARGET_SHAPE + ": bf16 time / fp32 time", a / b, "<=", 0.6)
          .put("paired", field(pb, op + "_ms") / field(pf, op + "_ms"));
    }
    for (Object o : overhead) {
      Map<String, Object> m = asMap(o);
      if (!TINY_SHAPE.equals(m.get("shape"))) {
        continue;
      }
      target(t, m.get("op") + " " + TINY_SHAPE + " from Java (pointers) / from C",
          num(m.get("pointer_over_c")), "<=", 1.2);
      target(t, m.get("op") + " " + TINY_SHAPE + " from Java (heap arrays) / from C",
          num(m.get("heap_over_c")), "<=", 1.2);
    }
    return t;
  }

  private static double field(Map<String, Object> m, String key) {
    return m == null || m.get(key) == null ? Double.NaN : num(m.get(key));
  }

  private static Map<String, Object> target(List<Object> t, String name, double measured,
      String op, double threshold) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", name);
    m.put("measured", measured);
    m.put("rule", op + " " + threshold);
    String status = Double.isNaN(measured) ? "not measured"
        : (op.equals(">=") ? measured >= threshold : measured <= threshold) ? "met" : "missed";
    m.put("status", status);
    t.add(m);
    return m;
  }

  private static double get(Map<String, Object> impl, String op, String field) {
    if (impl == null || impl.get(op) == null) {
      return Double.NaN;
    }
    Object v = asMap(impl.get(op)).get(field);
    return v == null ? Double.NaN : num(v);
  }

  static Map<String, Object> find(List<Object> results, String shape, String dtype) {
    for (Object o : results) {
      Map<String, Object> m = asMap(o);
      if (shape.equals(m.get("shape")) && dtype.equals(m.get("dtype"))) {
        return m;
      }
    }
    return null;
  }

  /**
   * The C timings, taken before and after the Java overhead benchmarks (the machine's load
   * changes): per shape and op the faster of the runs, which makes the Java / C ratio conservative.
   */
  private static Map<String, Object> fastestC(List<Path> files) throws IOException {
    Map<String, Object> best = new LinkedHashMap<>();
    for (Path f : files) {
      if (!Files.exists(f)) {
        continue;
      }
      for (Map.Entry<String, Object> e : asMap(Json.parse(Files.readString(f))).entrySet()) {
        Map<String, Object> into = asMap(best.computeIfAbsent(e.getKey(), k -> new LinkedHashMap<>()));
        for (Map.Entry<String, Object> t : asMap(e.getValue()).entrySet()) {
          Object old = into.get(t.getKey());
          if (old == null || num(t.getValue()) < num(old)) {
            into.put(t.getKey(), t.getValue());
          }
        }
      }
    }
    return best;
  }

  private static Map<String, Map<String, Object>> readLines(Path file, String k1, String k2)
      throws IOException {
    Map<String, Map<String, Object>> m = new LinkedHashMap<>();
    if (file == null || !Files.exists(file)) {
      return m;
    }
    for (String line : Files.readAllLines(file)) {
      if (!line.isBlank()) {
        Map<String, Object> o = asMap(Json.parse(line));
        m.put(o.get(k1) + " " + o.get(k2), o);
      }
    }
    return m;
  }

  private static Map<String, Map<String, Object>> readMemory(Path memory) throws IOException {
    Map<String, Map<String, Object>> m = new LinkedHashMap<>();
    if (memory == null || !Files.exists(memory)) {
      return m;
    }
    for (String line : Files.readAllLines(memory)) {
      if (line.isBlank()) {
        continue;
      }
      Map<String, Object> o = asMap(Json.parse(line));
      m.put(o.get("impl") + " " + o.get("shape") + " " + o.get("dtype"), o);
    }
    return m;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> asMap(Object o) {
    return (Map<String, Object>) o;
  }

  static double num(Object o) {
    return o == null ? Double.NaN : ((Number) o).doubleValue();
  }

  static String fmt(String f, Object... a) {
    return String.format(Locale.ROOT, f, a);
  }
}
