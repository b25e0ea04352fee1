package dev.reweigh.weighting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.function.Executable;

/** Shared test helpers for the weighting tests. */
final class Assertions2 {

  private Assertions2() {}

  /** Element-wise |expected - actual| <= tol; the message names the first mismatching index. */
  static void assertArrayClose(double[] expected, double[] actual, double tol) {
    assertEquals(expected.length, actual.length, "length");
    for (int i = 0; i < expected.length; i++) {
      final int at = i;
      if (Double.isInfinite(expected[i])) {
        assertEquals(expected[i], actual[i], () -> "index " + at + " of " + Arrays.toString(actual));
      } else {
        assertTrue(
            Math.abs(expected[i] - actual[i]) <= tol,
            () -> "index " + at + ": expected " + expected[at] + " got " + actual[at] + " (tol "
                + tol + ") in " + Arrays.toString(actual));
      }
    }
  }

  /** Asserts an IllegalArgumentException whose message contains every fragment. */
  static IllegalArgumentException assertIae(Executable body, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, body);
    for (String f : fragments) {
      assertTrue(
          e.getMessage() != null && e.getMessage().contains(f),
          "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
    return e;
  }

  static double sum(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v;
    }
    return s;
  }

  /** Random losses in [0, scale). */
  static double[] randomLosses(Random rnd, int n, double scale) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = rnd.nextDouble() * scale;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  static int[] permutation(Random rnd, int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** out[i] = a[perm[i]]. */
  static double[] permute(double[] a, int[] perm) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[perm[i]];
    }
    return out;
  }
}
