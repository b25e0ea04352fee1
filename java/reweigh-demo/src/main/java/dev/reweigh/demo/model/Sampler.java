package dev.reweigh.demo.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Batched decoding with a key/value cache: temperature sampling ({@code temperature > 0}) or
 * greedy decoding ({@code temperature == 0}, ties to the lowest id).
 *
 * <p>Prompts are left-padded to a common length; each sample gets its own positions (0 at its
 * first real token) and a mask that hides its padding, so a prompt's continuation does not depend
 * on what else is in the batch. Sampling draws from a {@link SplittableRandom} seeded per prompt
 * index, so results do not depend on the batch size either.
 */
public final class Sampler {
  private final CharTokenizer tokenizer;
  private final int batchSize;

  public Sampler(CharTokenizer tokenizer, int batchSize) {
    this.tokenizer = tokenizer;
    this.batchSize = batchSize;
  }

  /**
   * Continues every prompt until the end-of-response character or {@code maxNew} characters.
   *
   * @param seed sampling seed; prompt i draws from a stream derived from (seed, i)
   * @param progress called with the number of prompts finished after each batch (may be null)
   * @return one continuation per prompt, the newline included when it was produced
   */
  public List<String> generate(
      TinyTransformer model, List<String> prompts, double temperature, int maxNew, long seed,
      IntConsumer progress) {
    List<String> out = new ArrayList<>(prompts.size());
    model.eval();
    for (int from = 0; from < prompts.size(); from += batchSize) {
      int to = Math.min(prompts.size(), from + batchSize);
      out.addAll(generateBatch(model, prompts.subList(from, to), from, temperature, maxNew, seed));
      if (progress != null) {
        progress.accept(to - from);
      }
    }
    return out;
  }

  @SuppressWarnings("try") // scopes and guards are used for their side effects
  private List<String> generateBatch(
      TinyTransformer model, List<String> prompts, int firstIndex, double temperature, int maxNew,
      long seed) {
    int b = prompts.size();
    int vocab = model.config().vocab();
    int[][] ids = new int[b][];
    int p = 0;
    for (int i = 0; i < b; i++) {
      ids[i] = tokenizer.encode(prompts.get(i));
      p = Math.max(p, ids[i].length);
    }
    int cap = Math.min(p + maxNew, model.config().maxLen());
    if (cap <= p) {
      throw new IllegalArgumentException("prompts: longest prompt (" + p + ") leaves no room under maxLen "
          + model.config().maxLen());
    }
    int[] pad = new int[b];
    long[] tokens = new long[b * p];
    long[] positions = new long[b * p];
    boolean[] prefillMask = new boolean[b * p * p];
    for (int i = 0; i < b; i++) {
      pad[i] = p - ids[i].length;
      for (int t = 0; t < p; t++) {
        tokens[i * p + t] = t < pad[i] ? CharTokenizer.PAD : ids[i][t - pad[i]];
        positions[i * p + t] = Math.max(0, t - pad[i]);
        for (int j = 0; j <= t; j++) {
          // A padding query attends to itself only, so its softmax is never empty.
          prefillMask[(i * p + t) * p + j] = j >= pad[i] || j == t;
        }
      }
    }
    SplittableRandom[] rnd = new SplittableRandom[b];
    for (int i = 0; i < b; i++) {
      rnd[i] = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + firstIndex + i);
    }
    StringBuilder[] text = new StringBuilder[b];
    boolean[] done = new boolean[b];
    for (int i = 0; i < b; i++) {
      text[i] = new StringBuilder();
    }
    float[] last = new float[b * vocab];
    try (PointerScope outer = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
      KvCache cache = model.newCache(b, cap);
      Tensor logits = model.forwardCached(
          AbstractTensor.create(tokens, b, p), AbstractTensor.create(positions, b, p),
          AbstractTensor.create(prefillMask, b, 1, p, p), cache, 0);
      copyLast(logits, last);
      int remaining = b;
      for (int step = 0; step < cap - p && remaining > 0; step++) {
        long[] next = new long[b];
        long[] nextPos = new long[b];
        int keys = p + step + 1;
        boolean[] mask = new boolean[b * keys];
        for (int i = 0; i < b; i++) {
          if (!done[i]) {
            int id = pick(last, i * vocab, vocab, temperature, rnd[i]);
            if (id == CharTokenizer.PAD) {
              id = tokenizer.eos(); // padding is never a valid continuation: end the response
            }
            text[i].append(tokenizer.decode(id));
            next[i] = id;
            if (id == tokenizer.eos()) {
              done[i] = true;
              remaining--;
            }
          }
          nextPos[i] = p + step - pad[i];
          for (int j = 0; j < keys; j++) {
            mask[i * keys + j] = j >= pad[i];
          }
        }
        if (remaining == 0 || step == cap - p - 1) {
          break;
        }
        try (PointerScope inner = new PointerScope()) {
          Tensor stepLogits = model.forwardCached(
              AbstractTensor.create(next, b, 1), AbstractTensor.create(nextPos, b, 1),
              AbstractTensor.create(mask, b, 1, 1, keys), cache, p + step);
          copyLast(stepLogits, last);
        }
      }
    }
    List<String> out = new ArrayList<>(b);
    for (StringBuilder sb : text) {
      out.add(sb.toString());
    }
    return out;
  }

  /** Copies logits[:, -1, :] of a [B, T, V] tensor into {@code dst} (B * V floats). */
  private static void copyLast(Tensor logits, float[] dst) {
    Tensor lastRow = logits.select(1, logits.size(1) - 1).contiguous();
    FloatPointer fp = lastRow.data_ptr_float();
    fp.get(dst);
  }

  /** Temperature sampling, or argmax (lowest id on ties) when {@code temperature <= 0}. */
  static int pick(float[] z, int off, int vocab, double temperature, SplittableRandom rnd) {
    int best = 0;
    for (int v = 1; v < vocab; v++) {
      if (z[off + v] > z[off + best]) {
        best = v;
      }
    }
    if (temperature <= 0) {
      return best;
    }
    double max = z[off + best];
    double sum = 0;
    double[] w = new double[vocab];
    for (int v = 0; v < vocab; v++) {
      w[v] = Math.exp((z[off + v] - max) / temperature);
      sum += w[v];
    }
    double u = rnd.nextDouble() * sum;
    for (int v = 0; v < vocab; v++) {
      u -= w[v];
      if (u <= 0) {
        return v;
      }
    }
    return best;
  }
}
