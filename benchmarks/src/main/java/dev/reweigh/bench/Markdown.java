package dev.reweigh.bench;

import static dev.reweigh.bench.Summary.asMap;
import static dev.reweigh.bench.Summary.fmt;
import static dev.reweigh.bench.Summary.num;

import java.util.List;
import java.util.Map;

/** The README's performance tables, generated from a summary. */
final class Markdown {
  private Markdown() {}

  static String table(Map<String, Object> s) {
    StringBuilder b = new StringBuilder();
    b.append("Machine: ").append(s.getOrDefault("machine", "?")).append(", ")
        .append(s.getOrDefault("threads", "?")).append(" threads (Reweigh and libtorch)")
        .append("  \nCommand: `").append(s.getOrDefault("command", "?")).append("`  \nDate: ")
        .append(s.getOrDefault("date", "?")).append("  \nCommit: ")
        .append(s.getOrDefault("commit", "?")).append("\n\n");
    b.append("CPU variant: ").append(s.getOrDefault("cpu_isa", "?"))
        .append(" (auto; CPU has AVX-512: ").append(s.getOrDefault("cpu_has_avx512", "?"))
        .append("); other variants and one-thread runs are marked in the isa and threads"
        + " columns (0: one thread per core).\n\n");
    b.append("| shape | dtype | isa | threads | op | Reweigh ms | GB/s | of copy roofline"
        + " | of read roofline | limit ms | limit | of limit | bf16 / fp32 | 1-thread ms"
        + " | scaling | libtorch ms | speedup | plain Java ms |\n");
    b.append("|---|---|---|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Object o : (List<?>) s.get("results")) {
      Map<String, Object> e = asMap(o);
      Map<String, Object> rw = asMap(e.get("reweigh"));
      Map<String, Object> lt = asMap(e.get("libtorch"));
      Map<String, Object> pj = asMap(e.get("plain_java"));
      for (String op : Summary.OPS) {
        Map<String, Object> m = rw == null ? null : asMap(rw.get(op));
        if (m == null) {
          continue;
        }
        Map<String, Object> l = lt == null ? null : asMap(lt.get(op));
        Map<String, Object> p = pj == null ? null : asMap(pj.get(op));
        b.append(fmt("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s"
                + " | %s | %s | %s |\n", e.get("shape"), e.get("dtype"), e.get("isa"),
            e.get("threads"), op, f(m.get("ms"), "%.2f"),
            f(num(m.get("bytes_per_s")) / 1e9, "%.1f"), f(m.get("roofline_fraction"), "%.2f"),
            f(m.get("read_roofline_fraction"), "%.2f"), f(m.get("limit_ms"), "%.2f"),
            m.get("limit") == null ? "" : m.get("limit"), f(m.get("limit_fraction"), "%.2f"),
            f(m.get("bf16_over_f32"), "%.2f"), f(m.get("one_thread_ms"), "%.2f"),
            f(m.get("thread_scaling"), "%.2fx"), l == null ? "" : f(l.get("ms"), "%.1f"),
            f(m.get("speedup_vs_libtorch"), "%.1fx"), p == null ? "" : f(p.get("ms"), "%.1f")));
      }
    }
    b.append("\nCeilings measured in the same run (same bytes, Reweigh's thread pool; exp: one"
        + " exp per logit through the variant's exp, L1-resident):\n\n");
    b.append("| shape | dtype | isa | threads | copy GB/s (read+write) | read GB/s | copy ms"
        + " | read ms | exp ms | Reweigh extra memory | libtorch extra memory |\n"
        + "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Object o : (List<?>) s.get("results")) {
      Map<String, Object> e = asMap(o);
      Map<String, Object> roof = asMap(e.get("roofline"));
      b.append(fmt("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", e.get("shape"),
          e.get("dtype"), e.get("isa"), e.get("threads"),
          f(num(roof.get("copy_bytes_per_s")) / 1e9, "%.1f"),
          f(num(roof.get("read_bytes_per_s")) / 1e9, "%.1f"), f(roof.get("copy_ms"), "%.2f"),
          f(roof.get("read_ms"), "%.2f"), f(roof.get("exp_ms"), "%.2f"), mem(e.get("reweigh")),
          mem(e.get("libtorch"))));
    }
    List<?> over = (List<?>) s.get("overhead");
    if (over != null && !over.isEmpty()) {
      b.append("\nPer-call overhead (tiny batches, fp32, one kernel thread from Java and from C):"
          + "\n\n| shape | op | Java heap arrays us"
          + " | Java pointers us | C us | pointers / C | heap / C |\n"
          + "|---|---|---:|---:|---:|---:|---:|\n");
      for (Object o : over) {
        Map<String, Object> m = asMap(o);
        b.append(fmt("| %s | %s | %s | %s | %s | %s | %s |\n", m.get("shape"), m.get("op"),
            f(m.get("java_heap_us"), "%.1f"), f(m.get("java_pointer_us"), "%.1f"),
            f(m.get("c_us"), "%.1f"), f(m.get("pointer_over_c"), "%.2f"),
            f(m.get("heap_over_c"), "%.2f")));
      }
    }
    b.append('\n').append(targets(s));
    return b.toString();
  }

  static String targets(Map<String, Object> s) {
    StringBuilder b = new StringBuilder("| target | rule | JMH (same run) | status"
        + " | paired (same JVM, interleaved) |\n|---|---|---:|---|---:|\n");
    for (Object o : (List<?>) s.get("targets")) {
      Map<String, Object> t = asMap(o);
      b.append(fmt("| %s | %s | %s | %s | %s |\n", t.get("target"), t.get("rule"),
          f(t.get("measured"), "%.3g"), t.get("status"), f(t.get("paired"), "%.3g")));
    }
    return b.toString();
  }

  private static String mem(Object impl) {
    Map<String, Object> m = asMap(impl);
    if (m == null || m.get("extra_memory_bytes") == null) {
      return "";
    }
    double bytes = num(m.get("extra_memory_bytes"));
    return bytes >= 1 << 30 ? fmt("%.2f GiB", bytes / (1 << 30)) : fmt("%.1f MiB", bytes / (1 << 20));
  }

  private static String f(Object v, String format) {
    if (v == null) {
      return "";
    }
    double d = num(v);
    return Double.isFinite(d) ? fmt(format, d) : "";
  }
}
