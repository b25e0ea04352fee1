package dev.reweigh.testkit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The closeness helper of every Java test module (Liger's assert_verbose_allclose): {@code
 * |expected - actual| <= atol + rtol |expected|}, NaN only against NaN and an infinity only
 * against itself; on failure, the number of mismatches, the first few indices with both values,
 * and NaN/inf mismatches named as such. Per-element bounds come from {@link Reference64}.
 */
public final class Close {
  private Close() {}

  public static void scalar(String what, double expected, double actual, double atol,
      double rtol) {
    if (!close(expected, actual, atol, rtol)) {
      fail(what + ": expected " + expected + " but got " + actual + " (|diff| = "
          + Math.abs(expected - actual) + ", atol " + atol + ", rtol " + rtol + ")");
    }
  }

  public static void arrays(String what, double[] expected, float[] actual, double atol,
      double rtol) {
    double[] a = new double[actual.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = actual[i];
    }
    arrays(what, expected, a, atol, rtol);
  }

  /** {@code |expected[i] - actual[i]| <= atol} for every i (an infinity only against itself). */
  public static void arrays(double[] expected, double[] actual, double atol) {
    arrays("values", expected, actual, atol, 0);
  }

  public static void arrays(String what, double[] expected, double[] actual, double atol,
      double rtol) {
    if (expected.length != actual.length) {
      fail(what + ": length " + actual.length + " != expected " + expected.length);
    }
    int bad = 0;
    StringBuilder first = new StringBuilder();
    for (int i = 0; i < expected.length; i++) {
      if (!close(expected[i], actual[i], atol, rtol)) {
        if (bad < 5) {
          first.append(String.format("%n  [%d] expected %s got %s%s", i, expected[i], actual[i],
              Double.isFinite(actual[i]) == Double.isFinite(expected[i]) ? "" : " (non-finite)"));
        }
        bad++;
      }
    }
    if (bad > 0) {
      fail(what + ": " + bad + " of " + expected.length + " elements differ (atol " + atol
          + ", rtol " + rtol + "):" + first);
    }
  }

  /** Per-element absolute tolerances {@code atol[i]}, plus {@code rtol} relative. */
  public static void arrays(String what, double[] expected, float[] actual, double[] atol,
      double rtol) {
    if (expected.length != actual.length || atol.length != expected.length) {
      fail(what + ": length " + actual.length + " != expected " + expected.length);
    }
    int bad = 0;
    StringBuilder first = new StringBuilder();
    for (int i = 0; i < expected.length; i++) {
      if (!close(expected[i], actual[i], atol[i], rtol)) {
        if (bad < 5) {
          first.append(String.format("%n  [%d] expected %s got %s (atol %.3g)", i, expected[i],
              actual[i], atol[i]));
        }
        bad++;
      }
    }
    if (bad > 0) {
      fail(what + ": " + bad + " of " + expected.length
          + " elements differ (per-element atol, rtol " + rtol + "):" + first);
    }
  }

  /**
   * One absolute bound for every element, relative to the largest expected magnitude: {@code
   * |expected[i] - actual[i]| <= rel * max(max_j |expected[j]|, 1e-6)}. For gradients, whose
   * small elements carry the rounding of the large ones they are summed with.
   */
  public static void relativeToMax(String what, double[] expected, double[] actual, double rel) {
    double scale = 0;
    for (double x : expected) {
      scale = Math.max(scale, Math.abs(x));
    }
    arrays(what, expected, actual, rel * Math.max(scale, 1e-6), 0);
  }

  public static boolean close(double expected, double actual, double atol, double rtol) {
    if (Double.isNaN(expected) || Double.isNaN(actual)) {
      return Double.isNaN(expected) && Double.isNaN(actual);
    }
    if (Double.isInfinite(expected) || Double.isInfinite(actual)) {
      return expected == actual;
    }
    return Math.abs(expected - actual) <= atol + rtol * Math.abs(expected);
  }
}
