package dev.reweigh.demo;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Seconds per phase of a run (base training, sampling, fine-tuning, ...), summed over the phase's
 * stretches on every worker thread ({@link Workers}): with two workers a phase can add up to twice
 * its share of the wall time.
 */
final class Phases {
  private final Map<String, Double> seconds = new LinkedHashMap<>();

  /** Adds the time since {@code t0} (a {@link System#nanoTime()}) to {@code phase}. */
  synchronized void add(String phase, long t0) {
    seconds.merge(phase, (System.nanoTime() - t0) / 1e9, Double::sum);
  }

  <T> T timed(String phase, Supplier<T> f) {
    long t0 = System.nanoTime();
    T v = f.get();
    add(phase, t0);
    return v;
  }

  synchronized Map<String, Double> seconds() {
    return new LinkedHashMap<>(seconds);
  }
}
