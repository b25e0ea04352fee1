package dev.reweigh.demo.train;

import dev.reweigh.demo.model.CharTokenizer;
import java.util.List;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Tensor;

/**
 * Turns examples into a right-padded token batch and its shifted targets: row t of sample s
 * predicts token t+1, so {@code targets[s, t] = tokens[s, t+1]}, and is {@link
 * LossOptions#IGNORE_INDEX} on padding, on the last position and (unless {@code scorePrompt}) on
 * the prompt, so only the response is scored.
 */
public final class Batcher {
  private final CharTokenizer tokenizer;
  private final boolean scorePrompt;

  public Batcher(CharTokenizer tokenizer, boolean scorePrompt) {
    this.tokenizer = tokenizer;
    this.scorePrompt = scorePrompt;
  }

  /** Tokens [B, T] and targets [B, T], both int64. */
  public record Encoded(Tensor tokens, Tensor targets) {}

  public Encoded encode(List<Example> batch) {
    int b = batch.size();
    int[][] ids = new int[b][];
    int[] promptLen = new int[b];
    int t = 1;
    for (int i = 0; i < b; i++) {
      Example e = batch.get(i);
      promptLen[i] = e.prompt().length();
      ids[i] = tokenizer.encode(e.prompt() + e.response());
      t = Math.max(t, ids[i].length);
    }
    long[] tokens = new long[b * t];
    long[] targets = new long[b * t];
    java.util.Arrays.fill(targets, LossOptions.IGNORE_INDEX);
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < ids[i].length; j++) {
        tokens[i * t + j] = ids[i][j];
        boolean scored = scorePrompt || j + 1 >= promptLen[i];
        if (j + 1 < ids[i].length && scored) {
          targets[i * t + j] = ids[i][j + 1];
        }
      }
    }
    return new Encoded(AbstractTensor.create(tokens, b, t), AbstractTensor.create(targets, b, t));
  }
}
