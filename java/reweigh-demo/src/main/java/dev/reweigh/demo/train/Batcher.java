package dev.reweigh.demo.train;

import dev.reweigh.demo.model.CharTokenizer;
import java.util.List;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Tensor;

/**
 * Turns (prompt, response) texts into a right-padded token batch and its shifted targets: row t of
 * sample s predicts token t+1, so {@code targets[s, t] = tokens[s, t+1]}, and is {@link
 * #IGNORE_INDEX} on padding, on the last position and (unless {@code scorePrompt}) on the prompt.
 */
public final class Batcher {
  /** Target of rows that are not scored. */
  public static final int IGNORE_INDEX = -100;

  private final CharTokenizer tokenizer;
  private final boolean scorePrompt;

  public Batcher(CharTokenizer tokenizer, boolean scorePrompt) {
    this.tokenizer = tokenizer;
    this.scorePrompt = scorePrompt;
  }

  /**
   * Tokens [B, T] and targets [B, T] (int64), the padded length T, and per sample the prompt
   * length and total length in tokens.
   */
  public record Encoded(Tensor tokens, Tensor targets, int t, int[] promptLen, int[] length) {}

  /** {@code texts[2i]} is a prompt, {@code texts[2i+1]} its response. */
  public Encoded encode(List<String> texts) {
    if (texts.size() % 2 != 0) {
      throw new IllegalArgumentException("texts: need (prompt, response) pairs, got " + texts.size());
    }
    int b = texts.size() / 2;
    int[][] ids = new int[b][];
    int[] promptLen = new int[b];
    int[] length = new int[b];
    int t = 1;
    for (int i = 0; i < b; i++) {
      promptLen[i] = texts.get(2 * i).length();
      ids[i] = tokenizer.encode(texts.get(2 * i) + texts.get(2 * i + 1));
      length[i] = ids[i].length;
      t = Math.max(t, ids[i].length);
    }
    long[] tokens = new long[b * t];
    long[] targets = new long[b * t];
    java.util.Arrays.fill(targets, IGNORE_INDEX);
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < ids[i].length; j++) {
        tokens[i * t + j] = ids[i][j];
        boolean scored = scorePrompt || j + 1 >= promptLen[i];
        if (j + 1 < ids[i].length && scored) {
          targets[i * t + j] = ids[i][j + 1];
        }
      }
    }
    return new Encoded(AbstractTensor.create(tokens, b, t), AbstractTensor.create(targets, b, t), t,
        promptLen, length);
  }
}
