package dev.reweigh.demo.model;

import static org.bytedeco.pytorch.global.torch.arange;
import static org.bytedeco.pytorch.global.torch.manual_seed;

import org.bytedeco.pytorch.EmbeddingImpl;
import org.bytedeco.pytorch.LayerNormImpl;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * A tiny GPT-style causal language model built from the PyTorch presets' modules: token and
 * learned position embeddings, {@code layers} pre-norm {@link Block}s, a final layer norm and a
 * linear head producing logits [B, T, vocab].
 */
public final class TinyTransformer extends Module {
  private final ModelConfig config;
  private final EmbeddingImpl tok;
  private final EmbeddingImpl pos;
  private final Block[] blocks;
  private final LayerNormImpl lnF;
  private final LinearImpl head;

  /**
   * Held while a model draws its initial parameters from libtorch's one global generator: a
   * model built on another thread between {@link #seeded}'s {@code manual_seed} and its
   * initialisation would take that seed's draws.
   */
  private static final Object INIT = new Object();

  /**
   * A freshly initialised model (libtorch's default init from the global generator, wherever it
   * stands; {@link #seeded} for a reproducible one).
   */
  public TinyTransformer(ModelConfig config) {
    this.config = config;
    synchronized (INIT) {
      tok = register_module("tok", new EmbeddingImpl(config.vocab(), config.dim()));
      pos = register_module("pos", new EmbeddingImpl(config.maxLen(), config.dim()));
      blocks = new Block[config.layers()];
      for (int i = 0; i < blocks.length; i++) {
        blocks[i] = register_module("block" + i, new Block(config.dim(), config.heads()));
      }
      lnF = register_module("lnF", new LayerNormImpl(new LongVector(new long[] {config.dim()})));
      head = register_module("head", new LinearImpl(config.dim(), config.vocab()));
    }
  }

  /** A model initialised from libtorch's generator seeded with {@code seed}, whatever other threads do. */
  public static TinyTransformer seeded(ModelConfig config, long seed) {
    synchronized (INIT) {
      manual_seed(seed);
      return new TinyTransformer(config);
    }
  }

  public ModelConfig config() {
    return config;
  }

  /**
   * Training forward over right-padded tokens with plain causal attention.
   *
   * @param tokens int64 [B, T]
   * @return logits fp32 [B, T, vocab], contiguous
   */
  public Tensor forward(Tensor tokens) {
    long t = tokens.size(1);
    Tensor positions = arange(new Scalar(t));
    Tensor x = tok.forward(tokens).add(pos.forward(positions));
    for (Block b : blocks) {
      x = b.forward(x, null, null, 0);
    }
    return head.forward(lnF.forward(x)).contiguous();
  }

  /**
   * Incremental forward for decoding with a cache: {@code tokens} [B, T] sit at cache positions
   * {@code start .. start+T-1}, with per-sample positions {@code positions} [B, T] and an
   * attention mask [B, 1, T, start+T] (true = may attend).
   */
  Tensor forwardCached(Tensor tokens, Tensor positions, Tensor mask, KvCache cache, int start) {
    Tensor x = tok.forward(tokens).add(pos.forward(positions));
    for (int i = 0; i < blocks.length; i++) {
      x = blocks[i].forward(x, mask, cache.layer(i), start);
    }
    return head.forward(lnF.forward(x));
  }

  KvCache newCache(long batch, long maxLen) {
    return new KvCache(config, batch, maxLen);
  }

  /** Copies every parameter of {@code other} (same config) into this model. */
  @SuppressWarnings("try") // scopes and guards are used for their side effects
  public void copyFrom(TinyTransformer other) {
    try (NoGradGuard g = new NoGradGuard()) {
      TensorVector dst = parameters();
      TensorVector src = other.parameters();
      if (dst.size() != src.size()) {
        throw new IllegalArgumentException("other: parameter count " + src.size() + " != " + dst.size());
      }
      for (long i = 0; i < dst.size(); i++) {
        dst.get(i).copy_(src.get(i));
      }
    }
  }

  /** A new model with the same config and a copy of this model's parameters. */
  public TinyTransformer copy() {
    TinyTransformer m = new TinyTransformer(config);
    m.copyFrom(this);
    return m;
  }

  /** Writes every parameter (float32, in {@link #parameters()} order) to {@code file}. */
  public void save(java.nio.file.Path file) throws java.io.IOException {
    TensorVector ps = parameters();
    try (java.io.DataOutputStream out = new java.io.DataOutputStream(new java.io.BufferedOutputStream(
        java.nio.file.Files.newOutputStream(file)))) {
      out.writeLong(ps.size());
      for (long i = 0; i < ps.size(); i++) {
        Tensor p = ps.get(i).contiguous();
        float[] v = new float[(int) p.numel()];
        p.data_ptr_float().get(v);
        out.writeInt(v.length);
        for (float x : v) {
          out.writeFloat(x);
        }
      }
    }
  }

  /** Reads parameters written by {@link #save} for the same config into this model. */
  public void load(java.nio.file.Path file) throws java.io.IOException {
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
      load(in, file.toString());
    }
  }

  /**
   * Reads parameters written by {@link #save} for the same config into this model.
   *
   * @param where the stream's origin, for error messages
   */
  @SuppressWarnings("try") // the guard is used for its side effect
  public void load(java.io.InputStream stream, String where) throws java.io.IOException {
    TensorVector ps = parameters();
    try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(stream));
        NoGradGuard g = new NoGradGuard()) {
      if (in.readLong() != ps.size()) {
        throw new java.io.IOException(where + ": parameter count does not match the model");
      }
      for (long i = 0; i < ps.size(); i++) {
        Tensor p = ps.get(i);
        int n = in.readInt();
        if (n != p.numel() || !p.is_contiguous()) {
          throw new java.io.IOException(where + ": parameter " + i + " has " + n + " values, model " + p.numel());
        }
        float[] v = new float[n];
        for (int k = 0; k < n; k++) {
          v[k] = in.readFloat();
        }
        p.data_ptr_float().put(v);
      }
    }
  }

  /** Number of scalar parameters. */
  public long parameterCount() {
    long n = 0;
    TensorVector ps = parameters();
    for (long i = 0; i < ps.size(); i++) {
      n += ps.get(i).numel();
    }
    return n;
  }
}
