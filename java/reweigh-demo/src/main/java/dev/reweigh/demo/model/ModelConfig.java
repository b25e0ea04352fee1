package dev.reweigh.demo.model;

/**
 * Shape of the tiny causal transformer.
 *
 * @param vocab vocabulary size (padding included)
 * @param dim model width
 * @param heads attention heads ({@code dim % heads == 0})
 * @param layers transformer blocks
 * @param maxLen longest sequence (learned positional embedding size)
 */
public record ModelConfig(int vocab, int dim, int heads, int layers, int maxLen) {
  public ModelConfig {
    if (dim % heads != 0) {
      throw new IllegalArgumentException("dim: " + dim + " is not a multiple of heads " + heads);
    }
  }
}
