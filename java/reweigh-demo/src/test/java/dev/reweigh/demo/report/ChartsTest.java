package dev.reweigh.demo.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.demo.DemoConfig;
import dev.reweigh.demo.stats.Estimate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The three charts render from a hand-made result (headless), and the table shows the intervals. */
class ChartsTest {
  @Test
  void chartsAndTableRender(@TempDir Path dir) throws Exception {
    System.setProperty("java.awt.headless", "true");
    DemoConfig cfg = DemoConfig.quick();
    Map<String, MethodResult> methods = new LinkedHashMap<>();
    Map<String, DemoResult.Comparison> cmp = new LinkedHashMap<>();
    for (String name : List.of("base", "seed-only", "LMSI", "IWSI-w", "EAST-maj", "EAST-gold")) {
      MethodResult m = new MethodResult(name, 1, 1);
      m.histCorrect.addAll(List.of(0.5, 1.0, 1.5));
      m.histIncorrect.addAll(List.of(0.8, 1.2));
      methods.put(name, m);
      boolean isBase = name.equals("base");
      cmp.put(name, new DemoResult.Comparison(new Estimate(0.6, 0.55, 0.65),
          isBase ? null : new Estimate(0.1, 0.05, 0.15),
          isBase || name.equals("seed-only") ? null : new Estimate(-0.02, -0.05, 0.01), null, new double[] {0.1}));
    }
    DemoResult r = new DemoResult(cfg, methods, List.of(), List.of(), Map.of(), cmp, List.of(), Map.of());
    Charts.accuracy(r, dir.resolve("a.png"));
    Charts.differences(r, dir.resolve("d.png"));
    Charts.weights(r, dir.resolve("w.png"), List.of("IWSI-w", "EAST-maj", "EAST-gold"));
    for (String f : List.of("a.png", "d.png", "w.png")) {
      byte[] b = Files.readAllBytes(dir.resolve(f));
      assertTrue(b.length > 1000, f);
      assertEquals((byte) 0x89, b[0], f + " is a PNG");
    }
    String table = Table.render(r);
    assertTrue(table.contains("0.600 [0.550, 0.650]"), table);
    assertTrue(table.contains("+0.100 [+0.050, +0.150]"), table);
  }
}
