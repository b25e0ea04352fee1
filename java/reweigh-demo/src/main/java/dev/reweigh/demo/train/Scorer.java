package dev.reweigh.demo.train;

import dev.reweigh.demo.model.TinyTransformer;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * Teacher-forced scoring with the fused forward kernel: per-sample mean NLL, log pi(y|x) and
 * token counts over the scored span, for IWSI's losses, Sharpening's self-reward and DPO's
 * reference log-probs.
 */
public final class Scorer {
  private final Batcher batcher;
  private final LossStep lossStep;
  private final int batchSize;

  public Scorer(Batcher batcher, LossStep lossStep, int batchSize) {
    this.batcher = batcher;
    this.lossStep = lossStep;
    this.batchSize = batchSize;
  }

  /** Per-sample statistics (mean-token loss) of every example, in order. */
  @SuppressWarnings("try") // scopes and guards are used for their side effects
  public LossStats score(TinyTransformer model, List<Example> examples) {
    int n = examples.size();
    float[] loss = new float[n];
    float[] lp = new float[n];
    long[] tok = new long[n];
    float[] ent = new float[n];
    model.eval();
    for (int from = 0; from < n; from += batchSize) {
      int to = Math.min(n, from + batchSize);
      try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
        Batcher.Encoded enc = batcher.encode(examples.subList(from, to));
        LossStats st = lossStep.forward(model.forward(enc.tokens()), enc.targets(), LossOptions.mean());
        System.arraycopy(st.loss(), 0, loss, from, to - from);
        System.arraycopy(st.logProbSum(), 0, lp, from, to - from);
        System.arraycopy(st.tokenCount(), 0, tok, from, to - from);
        System.arraycopy(st.meanEntropy(), 0, ent, from, to - from);
      }
    }
    return new LossStats(loss, lp, tok, ent);
  }
}
