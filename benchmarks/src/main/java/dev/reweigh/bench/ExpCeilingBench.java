package dev.reweigh.bench;

import dev.reweigh.internal.NativeLibrary;
import dev.reweigh.nativeapi.ReweighNative;
import org.openjdk.jmh.annotations.Benchmark;

/**
 * The exp ceiling: one exp per logit (rows * vocab of them) through the library's fastest vector
 * exp, the one the kernels use, over an L1-resident block on the kernels' thread pool
 * ({@code reweigh_bench_exp}, native/src/cpu/roofline.cpp). No kernel that takes one exp per
 * logit can beat it, so a kernel's limit is max(memory time, this time). It depends on the
 * element count, not the dtype.
 */
public class ExpCeilingBench extends BenchState {
  /** The native block: 1024 arguments -16 i / 1024 (roofline.cpp kExpBlock). */
  private static final int BLOCK = 1024;

  /**
   * Calls per measured op: 1, or the planted slowdown of benchmarks/compare-check (system property
   * {@code reweigh.bench.plantRepeat}), which must make the gate fail.
   */
  private final int repeat = Integer.getInteger("reweigh.bench.plantRepeat", 1);

  private long elements;
  private double expected;
  private final double[] checksum = new double[1];

  @Override
  protected void prepare() {
    NativeLibrary.ensureLoaded();
    elements = BenchData.Shape.parse(shape).elements();
    double full = 0;
    double partial = 0;
    long tail = elements % BLOCK;
    for (int i = 0; i < BLOCK; i++) {
      double e = Math.exp(-16.0 * i / 1024.0);
      full += e;
      if (i < tail) {
        partial += e;
      }
    }
    expected = full * (elements / BLOCK) + partial;
  }

  @Benchmark
  public double exp() {
    for (int i = 0; i < repeat; i++) {
      int status = ReweighNative.reweigh_bench_exp(elements, checksum);
      if (status != 0) {
        throw new IllegalStateException("reweigh_bench_exp status " + status);
      }
    }
    return checksum[0];
  }

  @Override
  protected void verify() {
    // A few ulp per exp and float sums over 1024 terms: far inside 1e-4.
    if (!(Math.abs(checksum[0] - expected) <= 1e-4 * expected)) {
      throw new IllegalStateException("exp checksum " + checksum[0] + ", float64 gives " + expected);
    }
  }

  @Override
  protected void release() {}
}
