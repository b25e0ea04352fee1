package dev.reweigh.weighting;

import java.util.List;

/**
 * Argument checks shared by the weighting methods.
 *
 * <p>Every failure is an {@link IllegalArgumentException} whose message names the argument and, for
 * arrays, the first bad index, e.g. {@code "sampleLosses[3] = NaN is not finite"}
 * (docs/design.md §4). Checks are explicit code, never {@code assert} (docs/style.md §3).
 */
final class Checks {

  private Checks() {}

  /** Throws unless {@code a} is non-null and has at least one element. */
  static void nonEmpty(double[] a, String name) {
    if (a == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    if (a.length == 0) {
      throw new IllegalArgumentException(name + " is empty");
    }
  }

  /** Throws unless {@code a} is non-null and has at least one element. */
  static void nonEmpty(int[] a, String name) {
    if (a == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    if (a.length == 0) {
      throw new IllegalArgumentException(name + " is empty");
    }
  }

  /** Throws unless {@code a} is non-null and has at least one element. */
  static void nonEmpty(List<?> a, String name) {
    if (a == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    if (a.isEmpty()) {
      throw new IllegalArgumentException(name + " is empty");
    }
  }

  /** Non-empty and no element is NaN (infinities allowed). */
  static void noNaN(double[] a, String name) {
    nonEmpty(a, name);
    for (int i = 0; i < a.length; i++) {
      if (Double.isNaN(a[i])) {
        throw new IllegalArgumentException(name + "[" + i + "] = NaN is not a number");
      }
    }
  }

  /** Non-empty and every element finite. */
  static void finite(double[] a, String name) {
    nonEmpty(a, name);
    for (int i = 0; i < a.length; i++) {
      if (!Double.isFinite(a[i])) {
        throw new IllegalArgumentException(name + "[" + i + "] = " + a[i] + " is not finite");
      }
    }
  }

  /** Non-empty, every element finite and {@code >= 0}: the check for a loss. */
  static void losses(double[] a, String name) {
    finite(a, name);
    for (int i = 0; i < a.length; i++) {
      if (a[i] < 0) {
        throw new IllegalArgumentException(
            name + "[" + i + "] = " + a[i] + " is negative; a loss must be >= 0");
      }
    }
  }

  /** Non-empty, every element finite and in {@code [0, 1]}. */
  static void unitInterval(double[] a, String name) {
    finite(a, name);
    for (int i = 0; i < a.length; i++) {
      if (a[i] < 0 || a[i] > 1) {
        throw new IllegalArgumentException(name + "[" + i + "] = " + a[i] + " is outside [0, 1]");
      }
    }
  }

  /** A finite scalar. */
  static void finite(double v, String name) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException(name + " = " + v + " is not finite");
    }
  }

  /** A finite scalar {@code > 0} (temperatures, beta, clip values, validation losses). */
  static void positive(double v, String name) {
    finite(v, name);
    if (v <= 0) {
      throw new IllegalArgumentException(name + " = " + v + " must be > 0");
    }
  }

  /** A fraction in {@code (0, 1]}. */
  static void fraction(double v, String name) {
    if (!(v > 0 && v <= 1)) {
      throw new IllegalArgumentException(name + " = " + v + " is outside (0, 1]");
    }
  }

  /** Both arrays have the same length. */
  static void sameLength(int n, int m, String name, String other) {
    if (n != m) {
      throw new IllegalArgumentException(
          name + ".length = " + n + " differs from " + other + ".length = " + m);
    }
  }

  /** Every index in {@code idx} lies in {@code [0, n)}. */
  static void indices(int[] idx, int n, String name) {
    if (idx == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    for (int i = 0; i < idx.length; i++) {
      if (idx[i] < 0 || idx[i] >= n) {
        throw new IllegalArgumentException(
            name + "[" + i + "] = " + idx[i] + " is outside [0, " + n + ")");
      }
    }
  }
}
