package dev.reweigh.crosscheck;

import dev.reweigh.crosscheck.Problem.Shape;
import java.util.List;

/**
 * The cross-checks' shapes (their options are the kit's {@link dev.reweigh.testkit.OptionGrid}
 * TORCH and ND4J views). Vocabularies cover the degenerate V = 1, small odd sizes, the
 * tails around a 16-float AVX-512 vector (15, 17, 33: the kernels' vector loop plus scalar tail),
 * a non-multiple of 16 in the thousands, and the real vocabularies 32000 (Llama 2) and 50257
 * (GPT-2, odd). Row layouts cover empty samples, a sample with every row ignored, a ragged 289-row
 * batch (several threads' worth), near-one-hot rows, and a padded [B, T, V] tensor.
 */
final class Grid {
  private Grid() {}

  static Shape shape(String label, int[] lengths, int v, double ignoreShare) {
    return new Shape(label, lengths, v, ignoreShare, 3.0, false, false);
  }

  static final List<Shape> SHAPES = List.of(
      shape("V=1 single class (loss and gradient 0)", new int[] {2, 3}, 1, 0.2),
      shape("V=7 small odd vocabulary", new int[] {3, 5, 1}, 7, 0.15),
      shape("V=15 one short of a 16-float vector", new int[] {4, 4}, 15, 0.15),
      shape("V=17 one past a vector (scalar tail)", new int[] {6, 2, 3}, 17, 0.15),
      shape("V=33 two vectors + 1", new int[] {5, 5}, 33, 0.1),
      shape("V=1000 (62*16 + 8)", new int[] {7, 3, 6}, 1000, 0.1),
      shape("V=32000 Llama-2 vocabulary", new int[] {6, 5}, 32000, 0.1),
      shape("V=50257 GPT-2 vocabulary (odd)", new int[] {4, 3}, 50257, 0.1),
      shape("empty samples first and in the middle", new int[] {0, 4, 0, 3}, 129, 0.1),
      new Shape("a sample with every row ignored", new int[] {3, 4, 2}, 61, 0.1, 3.0, true,
          false),
      shape("289 ragged rows, V=257 (several threads)", new int[] {1, 40, 97, 151}, 257, 0.1),
      new Shape("peaked logits (scale 40, near one-hot)", new int[] {5, 5}, 211, 0.1, 40.0, false,
          false),
      new Shape("padded [B,T,V]=[3,9,100], ignored tails", new int[] {9, 9, 9}, 100, 0.3, 3.0,
          false, true));
}
