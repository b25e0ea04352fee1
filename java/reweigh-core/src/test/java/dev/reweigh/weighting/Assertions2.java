package dev.reweigh.weighting;

import java.util.Random;

/** Shared test helpers for the weighting tests. */
final class Assertions2 {

  private Assertions2() {}

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
