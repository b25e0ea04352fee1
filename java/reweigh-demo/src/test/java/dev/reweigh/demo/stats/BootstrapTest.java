package dev.reweigh.demo.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BootstrapTest {
  @Test
  void pairedDifferenceOfIdenticalOutcomesIsExactlyZero() {
    double[][] rows = new double[50][];
    for (int i = 0; i < rows.length; i++) {
      double ok = i % 3 == 0 ? 1 : 0;
      rows[i] = new double[] {ok, ok, 1};
    }
    Bootstrap b = new Bootstrap(List.of(rows, rows));
    double[] ci = b.interval(s -> (s[0] - s[1]) / s[2], 500, 1);
    assertEquals(0.0, ci[0], 0.0);
    assertEquals(0.0, ci[1], 0.0);
    assertEquals(17.0 / 50, b.point(s -> s[0] / s[2]), 1e-15); // 17 multiples of 3 in 0..49
  }

  @Test
  void intervalMatchesTheNormalApproximationOfAProportion() {
    // 400 questions, 120 right: p = 0.3, se = sqrt(0.3 * 0.7 / 400) = 0.022913; 95%: +-0.04491.
    double[][] rows = new double[400][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = new double[] {i < 120 ? 1 : 0, 1};
    }
    double[] ci = new Bootstrap(List.<double[][]>of(rows)).interval(s -> s[0] / s[1], 4000, 3);
    assertEquals(0.3 - 0.04491, ci[0], 0.006);
    assertEquals(0.3 + 0.04491, ci[1], 0.006);
  }

  @Test
  void verdictsReadTheIntervalsSide() {
    assertEquals("supported", Verdict.of("c", "p", "a", "b", new Estimate(0.05, 0.01, 0.09)).outcome());
    assertEquals("contradicted", Verdict.of("c", "p", "a", "b", new Estimate(-0.05, -0.09, -0.01)).outcome());
    assertEquals("not resolved", Verdict.of("c", "p", "a", "b", new Estimate(0.05, -0.01, 0.09)).outcome());
  }

  @Test
  void wilsonIntervalOfHalf() {
    // 5 of 10: Wilson 95% interval [0.2366, 0.7634] (hand-worked with z = 1.96).
    Estimate e = Wilson.of(5, 10);
    assertEquals(0.5, e.value(), 0.0);
    assertEquals(0.2366, e.lo(), 1e-4);
    assertEquals(0.7634, e.hi(), 1e-4);
    assertTrue(Double.isNaN(Wilson.of(0, 0).value()));
  }
}
