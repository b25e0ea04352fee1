package dev.reweigh.demo;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** Wall-clock seconds per phase of a run (base training, sampling, fine-tuning, ...), summed. */
final class Phases {
  private final Map<String, Double> seconds = new LinkedHashMap<>();

  /** Adds the time since {@code t0} (a {@link System#nanoTime()}) to {@code phase}. */
  void add(String phase, long t0) {
    seconds.merge(phase, (System.nanoTime() - t0) / 1e9, Double::sum);
  }

  <T> T timed(String phase, Supplier<T> f) {
    long t0 = System.nanoTime();
    T v = f.get();
    add(phase, t0);
    return v;
  }

  Map<String, Double> seconds() {
    return seconds;
  }
}
