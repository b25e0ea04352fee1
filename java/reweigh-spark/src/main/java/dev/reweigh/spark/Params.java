package dev.reweigh.spark;

/** Parameter checks with the CLI's ranges; messages name the parameter. */
final class Params {
  private Params() {}

  static <T> T present(T v, String name) {
    if (v == null) {
      throw new IllegalArgumentException(name + " is null");
    }
    return v;
  }

  static double positive(double v, String name) {
    if (!(v > 0 && Double.isFinite(v))) {
      throw new IllegalArgumentException(name + " = " + v + " must be finite and > 0");
    }
    return v;
  }

  static double fraction(double v, String name) {
    if (!(v > 0 && v <= 1)) {
      throw new IllegalArgumentException(name + " = " + v + " is outside (0, 1]");
    }
    return v;
  }

  static double finite(double v, String name) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException(name + " = " + v + " is not finite");
    }
    return v;
  }

  static int batchSize(int b) {
    if (b < 0) {
      throw new IllegalArgumentException("batchSize = " + b + " is negative");
    }
    return b;
  }
}
