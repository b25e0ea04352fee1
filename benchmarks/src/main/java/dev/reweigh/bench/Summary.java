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
 *   exp_ms                  ExpCeilingBench.exp: one exp per logit, L1-resident, same variant
 *   limit_ms                forward: max(read time, exp time); the gradient ops: max(copy time,
 *                           exp time) (one exp per logit in every op without a softcap)
 *   limit_fraction          limit_ms / kernel time
 *   bf16_over_f32           bf16 time / fp32 time, same op, shape, variant and threads
 *   thread_scaling          one-thread time / default-thread time (default entries only)
 *   speedup_vs_libtorch     libtorch time / Reweigh time, same op, shape and dtype
 * </pre>
 *
 * <p>Each result entry is one (shape, dtype, isa, threads) trial variant ({@link BenchState}):
 * {@code isa=auto, threads=0} is the library's default (its variant is the summary's {@code
 * cpu_isa}); the others come from benchmarks/run's extra passes (REWEIGH_CPU_ISA=avx2 on an
 * AVX-512 machine, one thread).
 *
 * <p>Usage: {@code Summary --out S.json --merged-jmh J.json [--markdown T.md] [--memory M.jsonl]
 * [--overhead-c C.json] [--meta key=value]... JMH.json...}
 */
public final class Summary {
  private Summary() {}

  static final String[] OPS = {"forward", "forwardBackward", "backward"};
  static final String[] ISAS = {"auto", "avx512", "avx2", "scalar"};
  static final int[] THREADS = {0, 1};
  static final String TARGET_SHAPE = "4096x32000";
  static final String TINY_SHAPE = "8x32000";

  public static void main(String[] args) throws IOException {
    if (args.length == 1 && args[0].equals("--print-isa")) {
      System.out.println(dev.reweigh.Capabilities.cpuIsa()); // the variant the default pass runs
      return;
    }
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
    summary.put("cpu_isa", dev.reweigh.Capabilities.cpuIsa());
    summary.put("byte_model", "forward reads rows*V*elemSize; forwardBackward and backward read and"
        + " write it (2x); copy roofline = 2*bytes/copy time; read roofline = bytes/read time");
    List<Object> results = new ArrayList<>();
    for (String shape : shapes(r)) {
      for (String isa : ISAS) {
        for (int threads : THREADS) {
          for (String dtype : new String[] {"f32", "bf16"}) {
            Map<String, Object> entry = entry(r, mem, shape, dtype, isa, threads);
            if (entry != null) {
              Map<String, Object> pr = isa.equals("auto") && threads == 0
                  ? pairs.get(shape + " " + dtype) : null;
              if (pr != null) {
                entry.put("paired", pr);
              }
              results.add(entry);
            }
          }
        }
      }
    }
    crossRatios(results);
    summary.put("results", results);
    List<Object> overhead = overhead(r, cTimes);
    summary.put("overhead", overhead);
    summary.put("targets", targets(results, overhead, (String) summary.get("cpu_isa")));
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
      String shape, String dtype, String isa, int threads) {
    BenchData.Shape s = BenchData.Shape.parse(shape);
    double bytes = s.elements() * (dtype.equals("f32") ? 4.0 : 2.0);
    // The memory ceilings do not depend on the kernel variant: the default-variant run's.
    double copy = r.get("RooflineBench.copy", shape, dtype, "auto", threads);
    double read = r.get("RooflineBench.read", shape, dtype, "auto", threads);
    double exp = r.get("ExpCeilingBench.exp", shape, null, isa, threads);
    boolean defaults = isa.equals("auto") && threads == 0;
    double copyBps = 2 * bytes / copy;
    double readBps = bytes / read;
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("shape", shape);
    e.put("dtype", dtype);
    e.put("isa", isa);
    e.put("threads", threads);
    e.put("logit_bytes", (long) bytes);
    Map<String, Object> roof = new LinkedHashMap<>();
    roof.put("copy_ms", copy * 1e3);
    roof.put("copy_bytes_per_s", copyBps);
    roof.put("read_ms", read * 1e3);
    roof.put("read_bytes_per_s", readBps);
    roof.put("exp_ms", exp * 1e3);
    e.put("roofline", roof);

    boolean any = false;
    String[][] impls = {{"reweigh", "ForwardBench.forward", "ForwardBackwardBench.forwardBackward",
        "BackwardBench.backward"}, {"libtorch", "LibtorchBench.forward",
        "LibtorchBench.forwardBackward", null}, {"plain_java", "PlainJavaBench.forward",
        "PlainJavaBench.forwardBackward", null}};
    Map<String, Map<String, Object>> byImpl = new LinkedHashMap<>();
    for (String[] impl : impls) {
      if (!defaults && !impl[0].equals("reweigh")) {
        continue; // the peers run at the library's defaults only
      }
      Map<String, Object> m = new LinkedHashMap<>();
      for (int op = 0; op < OPS.length; op++) {
        if (impl[op + 1] == null) {
          continue;
        }
        double t = r.get(impl[op + 1], shape, dtype, isa, threads);
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
        double memory = op == 0 ? read : copy;
        double limit = Double.isNaN(exp) ? memory : Math.max(memory, exp);
        o.put("limit_ms", limit * 1e3);
        o.put("limit", Double.isNaN(exp) ? (op == 0 ? "read" : "copy")
            : exp > memory ? "exp" : (op == 0 ? "read" : "copy"));
        o.put("limit_fraction", limit / t);
        m.put(OPS[op], o);
      }
      Map<String, Object> probe = defaults ? mem.get(impl[0] + " " + shape + " " + dtype) : null;
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

  /** bf16 / fp32 time per op, and one-thread / default-thread time on the default entries. */
  private static void crossRatios(List<Object> results) {
    for (Object o : results) {
      Map<String, Object> e = asMap(o);
      String shape = (String) e.get("shape");
      String isa = (String) e.get("isa");
      int threads = ((Number) e.get("threads")).intValue();
      Map<String, Object> f32 = find(results, shape, "f32", isa, threads);
      Map<String, Object> one = find(results, shape, (String) e.get("dtype"), isa, 1);
      for (String op : OPS) {
        Map<String, Object> mine = opOf(e, op);
        if (mine == null) {
          continue;
        }
        Map<String, Object> f = opOf(f32, op);
        if (e.get("dtype").equals("bf16") && f != null) {
          mine.put("bf16_over_f32", num(mine.get("ms")) / num(f.get("ms")));
        }
        Map<String, Object> t1 = opOf(one, op);
        if (threads == 0 && t1 != null) {
          mine.put("one_thread_ms", num(t1.get("ms")));
          mine.put("thread_scaling", num(t1.get("ms")) / num(mine.get("ms")));
        }
      }
    }
  }

  private static Map<String, Object> opOf(Map<String, Object> entry, String op) {
    if (entry == null || entry.get("reweigh") == null) {
      return null;
    }
    return asMap(asMap(entry.get("reweigh")).get(op));
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

  private static List<Object> targets(List<Object> results, List<Object> overhead,
      String autoIsa) {
    List<Object> t = new ArrayList<>();
    Map<String, Object> f32 = find(results, TARGET_SHAPE, "f32");
    Map<String, Object> bf16 = find(results, TARGET_SHAPE, "bf16");
    Map<String, Object> rw = f32 == null ? null : asMap(f32.get("reweigh"));
    Map<String, Object> pf = f32 == null ? null : asMap(f32.get("paired"));
    Map<String, Object> pb = bf16 == null ? null : asMap(bf16.get("paired"));
    // The kernel targets hold for every variant measured (issue: AVX2 and AVX-512 alike).
    for (String isa : ISAS) {
      Map<String, Object> vf = find(results, TARGET_SHAPE, "f32", isa, 0);
      Map<String, Object> vb = find(results, TARGET_SHAPE, "bf16", isa, 0);
      if (vf == null && vb == null) {
        continue;
      }
      String v = (isa.equals("auto") ? autoIsa : isa) + " " + TARGET_SHAPE;
      boolean auto = isa.equals("auto");
      Map<String, Object> mf = vf == null ? null : asMap(vf.get("reweigh"));
      Map<String, Object> mb = vb == null ? null : asMap(vb.get("reweigh"));
      target(t, "forwardBackward fp32 " + v + ": fraction of the copy roofline",
          get(mf, "forwardBackward", "roofline_fraction"), ">=", 0.85)
          .put("paired", auto ? field(pf, "forwardBackward_roofline_fraction") : Double.NaN);
      target(t, "backward fp32 " + v + ": fraction of the copy roofline",
          get(mf, "backward", "roofline_fraction"), ">=", 0.85);
      target(t, "forward fp32 " + v + ": fraction of its limit max(read, exp)",
          get(mf, "forward", "limit_fraction"), ">=", 0.85);
      for (String op : OPS) {
        target(t, op + " bf16 " + v + ": fraction of its limit",
            get(mb, op, "limit_fraction"), ">=", 0.85);
      }
      for (String op : OPS) {
        target(t, op + " " + v + ": bf16 time / fp32 time", get(mb, op, "bf16_over_f32"), "<=", 1.0)
            .put("paired", auto ? field(pb, op + "_ms") / field(pf, op + "_ms") : Double.NaN);
      }
    }
    target(t, "forwardBackward fp32 " + TARGET_SHAPE + ": speedup vs libtorch",
        get(rw, "forwardBackward", "speedup_vs_libtorch"), ">=", 20)
        .put("paired", field(pf, "forwardBackward_speedup_vs_libtorch"));
    target(t, "forward fp32 " + TARGET_SHAPE + ": speedup vs libtorch",
        get(rw, "forward", "speedup_vs_libtorch"), ">=", 8)
        .put("paired", field(pf, "forward_speedup_vs_libtorch"));
    target(t, "Reweigh extra memory fp32 " + TARGET_SHAPE + " / logit bytes (O(rows), not O(rows x V))",
        rw == null || rw.get("extra_memory_over_logit_bytes") == null ? Double.NaN
            : num(rw.get("extra_memory_over_logit_bytes")), "<=", 0.01);
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

  /** The default-variant entry (isa auto, default threads). */
  static Map<String, Object> find(List<Object> results, String shape, String dtype) {
    return find(results, shape, dtype, "auto", 0);
  }

  static Map<String, Object> find(List<Object> results, String shape, String dtype, String isa,
      int threads) {
    for (Object o : results) {
      Map<String, Object> m = asMap(o);
      if (shape.equals(m.get("shape")) && dtype.equals(m.get("dtype")) && isa.equals(m.get("isa"))
          && threads == ((Number) m.get("threads")).intValue()) {
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
