package dev.reweigh.demo.model;

import static org.bytedeco.pytorch.global.torch.zeros;

import org.bytedeco.pytorch.Tensor;

/**
 * Preallocated key/value cache for incremental decoding: one [B, heads, maxLen, dh] pair per
 * layer, written in place step by step (no reallocation while generating).
 */
public final class KvCache {
  /** One layer's keys and values. */
  public record Layer(Tensor k, Tensor v) {}

  private final Layer[] layers;

  KvCache(ModelConfig c, long batch, long maxLen) {
    layers = new Layer[c.layers()];
    long dh = c.dim() / c.heads();
    for (int i = 0; i < layers.length; i++) {
      layers[i] = new Layer(zeros(batch, c.heads(), maxLen, dh), zeros(batch, c.heads(), maxLen, dh));
    }
  }

  Layer layer(int i) {
    return layers[i];
  }
}
