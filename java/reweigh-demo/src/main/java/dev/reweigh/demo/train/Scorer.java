package dev.reweigh.demo.train;

import dev.reweigh.LossSpec;
import dev.reweigh.Normalization;
import dev.reweigh.TokenReduction;
import dev.reweigh.demo.model.CharTokenizer;
import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.pytorch.TorchBatch;
import dev.reweigh.pytorch.TorchLoss;
import dev.reweigh.pytorch.TorchStats;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * Teacher-forced scoring, one {@link TorchLoss#forward} per batch over the whole "Q: ... A: ..."
 * text. From that single pass come both spans the methods need: the whole-text mean token NLL
 * (the sample's {@code loss}, IWSI's L_i as the reference code scores it) and, from the per-row
 * target log-probs, the response-only {@code log pi(y|x)} and its token count (Sharpening's
 * self-rewards, DPO's reference log-probs, IWSI with the response-only span).
 */
public final class Scorer {
  private static final LossSpec SPEC = LossSpec.builder()
      .ignoreIndex(Batcher.IGNORE_INDEX)
      .tokenReduction(TokenReduction.MEAN)
      .normalization(Normalization.SAMPLES)
      .build();

  private final Batcher batcher;
  private final int batchSize;

  public Scorer(CharTokenizer tokenizer, int batchSize) {
    this.batcher = new Batcher(tokenizer, true);
    this.batchSize = batchSize;
  }

  /**
   * Per-sample scores of each text.
   *
   * @param wholeLoss mean token NLL over the whole text (prompt and response)
   * @param responseLoss mean token NLL over the response
   * @param responseLogProb log pi(y|x) summed over the response tokens
   * @param responseTokens number of response tokens
   */
  public record Scores(
      double[] wholeLoss, double[] responseLoss, double[] responseLogProb, int[] responseTokens) {}

  /** Scores every example's (prompt, response) text under {@code model}, in order. */
  @SuppressWarnings("try") // scopes and guards are used for their side effects
  public Scores score(TinyTransformer model, List<Example> examples) {
    int n = examples.size();
    double[] whole = new double[n];
    double[] respLoss = new double[n];
    double[] lp = new double[n];
    int[] tok = new int[n];
    model.eval();
    for (int from = 0; from < n; from += batchSize) {
      int to = Math.min(n, from + batchSize);
      List<String> texts = new ArrayList<>(2 * (to - from));
      for (Example e : examples.subList(from, to)) {
        texts.add(e.prompt());
        texts.add(e.response());
      }
      try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
        Batcher.Encoded enc = batcher.encode(texts);
        TorchStats st = TorchLoss.forward(
            TorchBatch.padded(model.forward(enc.tokens()), enc.targets()), SPEC);
        float[] loss = Tensors.floats(st.loss());
        float[] rowLogp = Tensors.floats(st.rowLogp());
        for (int i = 0; i < to - from; i++) {
          whole[from + i] = loss[i];
          double sum = 0;
          int count = 0;
          // Row j predicts token j+1: the response rows are promptLen-1 .. length-2.
          for (int j = enc.promptLen()[i] - 1; j < enc.length()[i] - 1; j++) {
            sum += rowLogp[i * enc.t() + j];
            count++;
          }
          lp[from + i] = sum;
          tok[from + i] = count;
          respLoss[from + i] = count == 0 ? 0 : -sum / count;
        }
      }
    }
    return new Scores(whole, respLoss, lp, tok);
  }
}
