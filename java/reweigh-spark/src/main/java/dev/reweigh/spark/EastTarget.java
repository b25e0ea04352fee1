package dev.reweigh.spark;

/** EAST: which responses are trained on (the CLI's {@code --target}). */
public enum EastTarget {
  /** Gold-correct responses where the question has a gold answer, else the majority. */
  AUTO,
  /** Gold-correct responses; the gold answer column is required. */
  GOLD,
  /** Majority-answer responses. */
  MAJORITY
}
