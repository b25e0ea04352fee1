package dev.reweigh.bench;

/**
 * JVM flags of every fork, in one place (a CLI -jvmArgsAppend would replace them;
 * docs/toolchain.md §5). JavaCPP's physical-memory cap counts the whole process RSS, so big native
 * batches and libtorch allocations under a small heap would throw OutOfMemoryError without the
 * first two.
 */
final class BenchJvm {
  static final String MAX_PHYSICAL = "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0";
  static final String MAX_BYTES = "-Dorg.bytedeco.javacpp.maxBytes=0";
  /** The kernel benchmarks keep their data off-heap; results are O(rows) on the heap. */
  static final String HEAP = "-Xmx1g";
  /** The plain-Java baseline holds logits and gradient on the heap (2 x 524 MB at 4096 x 32000). */
  static final String BIG_HEAP = "-Xmx3g";

  private BenchJvm() {}
}
