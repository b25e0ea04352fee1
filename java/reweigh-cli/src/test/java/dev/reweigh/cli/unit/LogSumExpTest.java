package dev.reweigh.cli.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Merged partial normalisers equal one pass and a float64 softmax computed directly. */
class LogSumExpTest {

  @Test
  void mergedPartialsGiveTheSoftmax() {
    Random rnd = new Random(3);
    double r = 0.37;
    double[] x = new double[1000];
    for (int i = 0; i < x.length; i++) {
      x[i] = 1e3 * rnd.nextDouble() - (i % 100 == 0 ? 900 : 0);
    }
    // Reference: max-shifted softmax over the whole array in one loop.
    double m = Arrays.stream(x).max().orElseThrow();
    double z = Arrays.stream(x).map(v -> Math.exp((v - m) / r)).sum();
    // Partials of uneven sizes, one empty, merged in a scrambled order.
    int[] cuts = {0, 0, 1, 400, 401, 999, 1000};
    LogSumExp total = new LogSumExp(r);
    for (int p : new int[] {3, 0, 5, 1, 4, 2}) {
      LogSumExp part = new LogSumExp(r);
      for (int i = cuts[p]; i < cuts[p + 1]; i++) {
        part.add(x[i]);
      }
      total.merge(part);
    }
    assertEquals(x.length, total.count());
    assertEquals(m, total.max(), 0.0);
    for (double v : x) {
      double expected = Math.exp((v - m) / r) / z;
      assertEquals(expected, total.weight(v), 1e-13 * expected + Double.MIN_NORMAL);
    }
  }
}
