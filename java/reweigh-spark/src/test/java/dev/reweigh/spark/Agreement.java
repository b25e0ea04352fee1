package dev.reweigh.spark;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Row-for-row comparison of the Spark engine's output with the streaming CLI's. A difference is
 * an {@link AssertionError}; plain Java, so that LauncherCheck runs it without JUnit.
 */
final class Agreement {

  /** Relative tolerance on weights and extra numeric columns. */
  static final double REL = 1e-12;

  private static final String[] EXTRAS = {"ds_weight", "entropy", "reward"};

  private Agreement() {}

  /** Same rows in the same order. */
  static void inOrder(List<JsonNode> streaming, List<JsonNode> spark) {
    assertEquals(streaming.size(), spark.size(), "rows");
    for (int i = 0; i < streaming.size(); i++) {
      row(streaming.get(i), spark.get(i));
    }
  }

  /** Same rows matched by response_id; spark's rows must be in {@code inputOrder}'s order. */
  static void byResponse(List<JsonNode> streaming, List<JsonNode> spark, List<String> inputOrder) {
    assertEquals(streaming.size(), spark.size(), "rows");
    Map<String, JsonNode> ref = new HashMap<>();
    for (JsonNode n : streaming) {
      ref.put(n.get("response_id").asText(), n);
    }
    for (int i = 0; i < spark.size(); i++) {
      String id = spark.get(i).get("response_id").asText();
      if (inputOrder != null) {
        assertEquals(inputOrder.get(i), id, "row " + i + " is out of input order");
      }
      JsonNode s = ref.get(id);
      assertTrue(s != null, "response_id " + id + " missing from the streaming output");
      row(s, spark.get(i));
    }
  }

  private static void row(JsonNode s, JsonNode p) {
    String id = s.get("response_id").asText();
    assertEquals(id, p.get("response_id").asText(), "response_id");
    assertEquals(s.get("keep").booleanValue(), p.get("keep").booleanValue(), "keep of " + id);
    close(s.get("weight"), p.get("weight"), "weight of " + id);
    for (String extra : EXTRAS) {
      if (s.has(extra)) {
        assertTrue(p.has(extra), extra + " missing for " + id);
        close(s.get(extra), p.get(extra), extra + " of " + id);
      } else {
        assertTrue(!p.has(extra), extra + " present for " + id);
      }
    }
    assertEquals(s.get("note"), p.get("note"), "copied field of " + id);
  }

  private static void assertEquals(Object expected, Object actual, String what) {
    assertTrue(Objects.equals(expected, actual), what + ": expected " + expected + ", got " + actual);
  }

  private static void assertTrue(boolean ok, String message) {
    if (!ok) {
      throw new AssertionError(message);
    }
  }

  private static void close(JsonNode expected, JsonNode actual, String what) {
    if (expected.isNull()) {
      assertTrue(actual.isNull(), what + ": expected null, got " + actual);
      return;
    }
    double e = expected.doubleValue();
    double a = actual.doubleValue();
    assertTrue(Math.abs(a - e) <= REL * Math.abs(e),
        what + ": expected " + e + ", got " + a + " (relative tolerance " + REL + ")");
  }
}
