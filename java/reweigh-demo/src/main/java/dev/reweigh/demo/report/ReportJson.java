package dev.reweigh.demo.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.reweigh.demo.stats.Estimate;
import dev.reweigh.demo.stats.Gate;
import dev.reweigh.demo.stats.Verdict;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes report.json: {@code gates}, {@code diagnostics}, {@code methods} (accuracy, paired
 * differences with intervals, per-round figures, per-question outcomes per seed), {@code
 * verdicts}, {@code bases}, {@code timings} (seconds per phase), {@code config}. NaN becomes null.
 */
public final class ReportJson {
  private ReportJson() {}

  public static Map<String, Object> build(DemoResult r, double wallSeconds) {
    Map<String, Object> root = new LinkedHashMap<>();
    List<Object> gates = new ArrayList<>();
    for (Gate g : r.gates()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", g.name());
      e.put("rule", g.rule());
      putEstimate(e, g.estimate());
      e.put("pass", g.pass());
      gates.add(e);
    }
    root.put("gates", gates);
    root.put("gatesPass", r.gates().stream().allMatch(Gate::pass));
    Map<String, Object> diag = new LinkedHashMap<>();
    r.diagnostics().forEach((k, v) -> diag.put(k, estimate(v)));
    root.put("diagnostics", diag);
    Map<String, Object> methods = new LinkedHashMap<>();
    for (MethodResult m : r.methods().values()) {
      DemoResult.Comparison c = r.comparisons().get(m.name);
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("accuracy", estimate(c.accuracy()));
      e.put("vsBase", c.vsBase() == null ? null : estimate(c.vsBase()));
      e.put("vsSeedOnly", c.vsSeedOnly() == null ? null : estimate(c.vsSeedOnly()));
      e.put("vsLmsi", c.vsLmsi() == null ? null : estimate(c.vsLmsi()));
      e.put("vsBaseBySeed", list(c.vsBaseBySeed()));
      e.put("accuracyByRound", rows(m.accuracy));
      e.put("keptFraction", rows(m.kept));
      e.put("keptPrecision", rows(m.precision));
      e.put("keptChainPrecision", rows(m.chainPrecision));
      e.put("meanWeightCorrect", rows(m.weightCorrect));
      e.put("meanWeightIncorrect", rows(m.weightIncorrect));
      e.put("fineTuneSteps", rows(m.steps));
      e.put("trainLossStart", rows(m.lossStart));
      e.put("trainLossEnd", rows(m.lossEnd));
      List<String> outcomes = new ArrayList<>();
      for (boolean[] o : m.outcomes) {
        StringBuilder sb = new StringBuilder();
        if (o != null) {
          for (boolean b : o) {
            sb.append(b ? '1' : '0');
          }
        }
        outcomes.add(sb.toString());
      }
      e.put("testOutcomesBySeed", outcomes);
      methods.put(m.name, e);
    }
    root.put("methods", methods);
    List<Object> verdicts = new ArrayList<>();
    for (Verdict v : r.verdicts()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("claim", v.claim());
      e.put("paper", v.paper());
      e.put("a", v.a());
      e.put("b", v.b());
      e.put("difference", estimate(v.difference()));
      e.put("verdict", v.outcome());
      verdicts.add(e);
    }
    root.put("verdicts", verdicts);
    root.put("bases", r.bases());
    Map<String, Object> t = new LinkedHashMap<>();
    r.timings().forEach((k, v) -> t.put(k, Math.round(v * 10) / 10.0));
    t.put("wall", Math.round(wallSeconds * 10) / 10.0);
    root.put("timings", t);
    root.put("config", r.config().toMap());
    return root;
  }

  public static void write(Map<String, Object> report, Path file) throws IOException {
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), report);
  }

  private static Map<String, Object> estimate(Estimate e) {
    Map<String, Object> m = new LinkedHashMap<>();
    putEstimate(m, e);
    return m;
  }

  private static void putEstimate(Map<String, Object> m, Estimate e) {
    m.put("value", finite(e.value()));
    m.put("lo", finite(e.lo()));
    m.put("hi", finite(e.hi()));
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
