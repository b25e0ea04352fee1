package dev.reweigh;

import java.util.ArrayList;
import java.util.List;

/** The CPU kernel variants this machine can run, for tests that compare every one of them. */
final class Isa {
  private Isa() {}

  static final List<String> ALL = List.of("scalar", "avx2", "avx512");

  /** Variants supported here (scalar always). */
  static List<String> supported() {
    List<String> out = new ArrayList<>();
    String before = Capabilities.cpuIsa();
    for (String isa : ALL) {
      try {
        Capabilities.setCpuIsa(isa);
        out.add(isa);
      } catch (UnsupportedOperationException e) {
        // not on this CPU/OS: the tests for it are skipped with this reason
      }
    }
    Capabilities.setCpuIsa(before);
    return out;
  }

  /** Runs body with the given variant active, restoring auto-selection afterwards. */
  static void with(String isa, Runnable body) {
    Capabilities.setCpuIsa(isa);
    try {
      body.run();
    } finally {
      Capabilities.setCpuIsa("auto");
    }
  }
}
