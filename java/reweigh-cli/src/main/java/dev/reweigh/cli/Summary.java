package dev.reweigh.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * Streaming summary of a {@code reweigh weigh} run: counts, weight range and a log2 histogram of
 * the weights (bucket [2^e, 2^(e+1)) plus a bucket for weight 0), which needs O(1) memory and
 * suits weights that span orders of magnitude (softmax weights near 1/n, clipped weights near 1).
 */
final class Summary {

  private long candidates;
  private long kept;
  private long units;
  private long unitsWithKept;
  private long zeroWeights;
  private double weightSum;
  private double weightMin = Double.POSITIVE_INFINITY;
  private double weightMax = Double.NEGATIVE_INFINITY;
  private final TreeMap<Integer, Long> log2Buckets = new TreeMap<>();

  void add(Decision[] unit) {
    units++;
    boolean any = false;
    for (Decision d : unit) {
      candidates++;
      if (d.keep()) {
        kept++;
        any = true;
      }
      double w = d.weight();
      weightSum += w;
      weightMin = Math.min(weightMin, w);
      weightMax = Math.max(weightMax, w);
      if (w == 0) {
        zeroWeights++;
      } else {
        log2Buckets.merge(Math.getExponent(w), 1L, Long::sum);
      }
    }
    if (any) {
      unitsWithKept++;
    }
  }

  ObjectNode toJson(
      ObjectMapper mapper, String method, WeighMethod m, int passes, boolean unitsAreQuestions) {
    ObjectNode o = mapper.createObjectNode();
    o.put("method", method);
    ObjectNode params = o.putObject("parameters");
    for (Map.Entry<String, Object> e : m.parameters.entrySet()) {
      params.putPOJO(e.getKey(), e.getValue());
    }
    o.put("input_passes", passes);
    o.put("streaming", m.streaming());
    o.put("candidates", candidates);
    o.put("kept", kept);
    if (unitsAreQuestions) {
      o.put("questions", units);
      o.put("questions_with_kept", unitsWithKept);
      o.put("questions_dropped", units - unitsWithKept);
    }
    o.put("weight_sum", weightSum);
    if (candidates > 0) {
      o.put("weight_min", weightMin);
      o.put("weight_max", weightMax);
    }
    ArrayNode hist = o.putArray("weight_histogram");
    if (zeroWeights > 0) {
      hist.addObject().put("lower", 0.0).put("upper", 0.0).put("count", zeroWeights);
    }
    for (Map.Entry<Integer, Long> e : log2Buckets.entrySet()) {
      hist.addObject()
          .put("lower", Math.scalb(1.0, e.getKey()))
          .put("upper", Math.scalb(1.0, e.getKey() + 1))
          .put("count", e.getValue());
    }
    ArrayNode notes = o.putArray("notes");
    m.notes.forEach(notes::add);
    return o;
  }
}
