package dev.reweigh.demo.model;

import static org.bytedeco.pytorch.global.torch.gelu;
import static org.bytedeco.pytorch.global.torch.scaled_dot_product_attention;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.LayerNormImpl;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;

/**
 * One pre-norm transformer block: {@code x + attn(ln1(x))}, then {@code x + mlp(ln2(x))}, with
 * causal multi-head self-attention through libtorch's {@code scaled_dot_product_attention}.
 */
final class Block extends Module {
  private final int dim;
  private final int heads;
  private final LayerNormImpl ln1;
  private final LayerNormImpl ln2;
  private final LinearImpl qkv;
  private final LinearImpl proj;
  private final LinearImpl fc1;
  private final LinearImpl fc2;

  Block(int dim, int heads) {
    this.dim = dim;
    this.heads = heads;
    ln1 = register_module("ln1", new LayerNormImpl(new LongVector(new long[] {dim})));
    qkv = register_module("qkv", new LinearImpl(dim, 3L * dim));
    proj = register_module("proj", new LinearImpl(dim, dim));
    ln2 = register_module("ln2", new LayerNormImpl(new LongVector(new long[] {dim})));
    fc1 = register_module("fc1", new LinearImpl(dim, 4L * dim));
    fc2 = register_module("fc2", new LinearImpl(4L * dim, dim));
  }

  /**
   * @param x [B, T, dim]
   * @param mask boolean [B, 1, T, Tk] (true = may attend) or null for plain causal attention
   * @param cache this layer's key/value cache, or null
   * @param start position in the cache of x's first token (with a cache)
   */
  Tensor forward(Tensor x, Tensor mask, KvCache.Layer cache, int start) {
    long b = x.size(0);
    long t = x.size(1);
    long dh = dim / heads;
    Tensor qkvOut = qkv.forward(ln1.forward(x)).view(b, t, 3, heads, dh).permute(2, 0, 3, 1, 4);
    Tensor q = qkvOut.select(0, 0);
    Tensor k = qkvOut.select(0, 1);
    Tensor v = qkvOut.select(0, 2);
    if (cache != null) {
      cache.k().narrow(2, start, t).copy_(k);
      cache.v().narrow(2, start, t).copy_(v);
      k = cache.k().narrow(2, 0, start + t);
      v = cache.v().narrow(2, 0, start + t);
    }
    boolean causal = mask == null;
    Tensor attn = scaled_dot_product_attention(
        q, k, v, mask == null ? new TensorOptional() : new TensorOptional(mask),
        0.0, causal, new DoubleOptional(), false);
    Tensor merged = attn.transpose(1, 2).reshape(b, t, dim);
    Tensor h = x.add(proj.forward(merged));
    return h.add(fc2.forward(gelu(fc1.forward(ln2.forward(h)))));
  }
}
