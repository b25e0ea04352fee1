package dev.reweigh.demo.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes report.json: {@code {"methods": {NAME: {"accuracy": [per round, mean over seeds], ...}},
 * "training": {...}, "config": {...}}}. Round 0 is the base model; NaN becomes null.
 */
public final class ReportJson {
  private ReportJson() {}

  public static Map<String, Object> build(DemoResult r, double wallSeconds) {
    Map<String, Object> methods = new LinkedHashMap<>();
    for (MethodResult m : r.methods().values()) {
      Map<String, Object> e = new LinkedHashMap<>();
      int rounds = m.accuracy[0].length;
      e.put("accuracy", perColumn(m.accuracy, rounds, false));
      e.put("accuracyStd", perColumn(m.accuracy, rounds, true));
      e.put("accuracyBySeed", rows(m.accuracy));
      e.put("keptFraction", perColumn(m.kept, rounds - 1, false));
      e.put("keptPrecision", perColumn(m.precision, rounds - 1, false));
      e.put("meanWeightCorrect", perColumn(m.weightCorrect, rounds - 1, false));
      e.put("meanWeightIncorrect", perColumn(m.weightIncorrect, rounds - 1, false));
      e.put("trainLossStart", perColumn(m.lossStart, rounds - 1, false));
      e.put("trainLossEnd", perColumn(m.lossEnd, rounds - 1, false));
      methods.put(m.name, e);
    }
    Map<String, Object> training = new LinkedHashMap<>();
    training.put("baseLossStart", list(r.baseLossStart()));
    training.put("baseLossEnd", list(r.baseLossEnd()));
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("methods", methods);
    root.put("training", training);
    root.put("config", r.config().toMap());
    root.put("wallSeconds", Math.round(wallSeconds * 10) / 10.0);
    return root;
  }

  public static void write(Map<String, Object> report, Path file) throws IOException {
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), report);
  }

  private static List<Double> perColumn(double[][] v, int cols, boolean std) {
    List<Double> out = new ArrayList<>(cols);
    for (int c = 0; c < cols; c++) {
      out.add(finite(std ? MethodResult.std(v, c) : MethodResult.mean(v, c)));
    }
    return out;
  }

  private static List<List<Double>> rows(double[][] v) {
    List<List<Double>> out = new ArrayList<>();
    for (double[] row : v) {
      out.add(list(row));
    }
    return out;
  }

  private static List<Double> list(double[] v) {
    List<Double> out = new ArrayList<>(v.length);
    for (double x : v) {
      out.add(finite(x));
    }
    return out;
  }

  private static Double finite(double x) {
    return Double.isFinite(x) ? Math.round(x * 1e6) / 1e6 : null;
  }
}
