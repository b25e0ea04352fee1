package dev.reweigh.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Just enough JSON to read JMH's {@code -rf json} output and write the summary, so the summary and
 * {@code benchmarks/compare} run on a machine with only a JDK (no jq, no python). Objects are
 * LinkedHashMaps, arrays Lists, numbers Doubles.
 */
final class Json {
  private final String s;
  private int i;

  private Json(String s) {
    this.s = s;
  }

  static Object parse(String text) {
    Json p = new Json(text);
    Object v = p.value();
    p.ws();
    if (p.i != p.s.length()) {
      throw p.error("trailing characters");
    }
    return v;
  }

  private Object value() {
    ws();
    if (i >= s.length()) {
      throw error("unexpected end");
    }
    char c = s.charAt(i);
    switch (c) {
      case '{': {
        i++;
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (peek('}')) {
          return m;
        }
        do {
          ws();
          String k = string();
          ws();
          expect(':');
          m.put(k, value());
          ws();
        } while (peek(','));
        expect('}');
        return m;
      }
      case '[': {
        i++;
        List<Object> l = new ArrayList<>();
        ws();
        if (peek(']')) {
          return l;
        }
        do {
          l.add(value());
          ws();
        } while (peek(','));
        expect(']');
        return l;
      }
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        return number();
    }
  }

  private Object literal(String word, Object v) {
    if (!s.startsWith(word, i)) {
      throw error("bad literal");
    }
    i += word.length();
    return v;
  }

  private Double number() {
    int start = i;
    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    String t = s.substring(start, i);
    if (t.isEmpty()) {
      // JMH writes NaN / Infinity unquoted in some fields.
      for (String w : new String[] {"NaN", "Infinity", "-Infinity"}) {
        if (s.startsWith(w, i)) {
          i += w.length();
          return Double.valueOf(w);
        }
      }
      throw error("bad value");
    }
    return Double.valueOf(t);
  }

  private String string() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      char c = s.charAt(i++);
      if (c == '"') {
        return b.toString();
      }
      if (c == '\\') {
        char e = s.charAt(i++);
        switch (e) {
          case 'n': b.append('\n'); break;
          case 't': b.append('\t'); break;
          case 'r': b.append('\r'); break;
          case 'b': b.append('\b'); break;
          case 'f': b.append('\f'); break;
          case 'u': b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
          default: b.append(e);
        }
      } else {
        b.append(c);
      }
    }
  }

  private void ws() {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
  }

  private boolean peek(char c) {
    if (i < s.length() && s.charAt(i) == c) {
      i++;
      return true;
    }
    return false;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw error("expected '" + c + "'");
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("JSON: " + what + " at offset " + i);
  }

  // ---- writing ------------------------------------------------------------------------------

  static String write(Object v) {
    StringBuilder b = new StringBuilder();
    write(b, v, 0);
    return b.append('\n').toString();
  }

  private static void write(StringBuilder b, Object v, int indent) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof String) {
      b.append('"').append(((String) v).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      b.append(Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d).trim() : "null");
    } else if (v instanceof Number || v instanceof Boolean) {
      b.append(v);
    } else if (v instanceof Map) {
      Map<?, ?> m = (Map<?, ?>) v;
      b.append('{');
      int n = 0;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        b.append(n++ == 0 ? "\n" : ",\n").append("  ".repeat(indent + 1));
        write(b, String.valueOf(e.getKey()), 0);
        b.append(": ");
        write(b, e.getValue(), indent + 1);
      }
      b.append(m.isEmpty() ? "}" : "\n" + "  ".repeat(indent) + "}");
    } else if (v instanceof List) {
      List<?> l = (List<?>) v;
      b.append('[');
      int n = 0;
      for (Object o : l) {
        b.append(n++ == 0 ? "\n" : ",\n").append("  ".repeat(indent + 1));
        write(b, o, indent + 1);
      }
      b.append(l.isEmpty() ? "]" : "\n" + "  ".repeat(indent) + "]");
    } else {
      throw new IllegalArgumentException("cannot write " + v.getClass());
    }
  }
}
