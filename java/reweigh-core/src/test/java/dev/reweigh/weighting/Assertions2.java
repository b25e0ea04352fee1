package dev.reweigh.weighting;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.testkit.Close;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import java.util.function.UnaryOperator;

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

  /** One trial of a randomized property test. */
  @FunctionalInterface
  interface Trial {
    /**
     * @param t the trial's index
     * @param rnd the generator, for the trial's further draws
     * @param x the trial's random input
     */
    void run(int t, Random rnd, double[] x);
  }

  /**
   * Runs {@code trials} trials of a property from one seed: trial t draws n uniform in [1, maxN],
   * then n inputs {@code element(rnd)}, and checks the property on them.
   */
  static void randomTrials(
      long seed, int trials, int maxN, ToDoubleFunction<Random> element, Trial trial) {
    Random rnd = new Random(seed);
    for (int t = 0; t < trials; t++) {
      double[] x = new double[1 + rnd.nextInt(maxN)];
      for (int i = 0; i < x.length; i++) {
        x[i] = element.applyAsDouble(rnd);
      }
      trial.run(t, rnd, x);
    }
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

  /**
   * Asserts that {@code f} commutes with a random permutation p of its input: f(x)[p] equals
   * f(x[p]) within {@code tol}.
   */
  static void assertPermutationEquivariant(
      Random rnd, double[] x, double[] fx, UnaryOperator<double[]> f, double tol) {
    int[] p = permutation(rnd, x.length);
    Close.arrays(permute(fx, p), f.apply(permute(x, p)), tol);
  }

  /** Asserts that y follows x: x[i] < x[j] implies y[i] <= y[j] ({@code rising}), or y[i] >= y[j]. */
  static void assertMonotone(double[] x, double[] y, boolean rising) {
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x.length; j++) {
        if (x[i] < x[j]) {
          assertTrue(rising ? y[i] <= y[j] : y[i] >= y[j], "x[" + i + "] < x[" + j + "]");
        }
      }
    }
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
