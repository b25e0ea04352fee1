package dev.reweigh.demo.train;

import dev.reweigh.LossSpec;
import dev.reweigh.Normalization;
import dev.reweigh.TokenReduction;
import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.pytorch.TorchBatch;
import dev.reweigh.pytorch.TorchLoss;
import dev.reweigh.pytorch.TorchResult;
import dev.reweigh.pytorch.TorchStats;
import dev.reweigh.weighting.Dpo;
import dev.reweigh.weighting.Objective;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.bytedeco.pytorch.Tensor;

/**
 * Minibatch AdamW training through Reweigh's PyTorch adapter. A unit is one weighted {@link
 * Example} or one {@link Pair}; a batch holds {@code batchSize} units. Batches of examples only
 * take one {@link TorchLoss#step} (fused forward + backward, objective {@code (1/B) sum_s c_s
 * loss_s} with the mean token NLL). Batches with pairs take the two-phase path: {@link
 * TorchLoss#forward} with summed token NLL gives {@code log pi(y|x)} per sample, {@link Dpo}
 * turns them into coefficients {@code c_s = -dF/dlogProbSum_s}, and {@link TorchLoss#step(
 * TorchBatch, TorchStats, float[], LossSpec)} backpropagates (docs/methods.md §7); an
 * example there gets {@code c_s = w_s / tokens_s}, the same mean-token NLL. Linear warm-up, then
 * cosine decay to 10% of the peak learning rate.
 */
public final class Trainer {
  private static final LossSpec MEAN = LossSpec.builder()
      .ignoreIndex(Batcher.IGNORE_INDEX)
      .tokenReduction(TokenReduction.MEAN)
      .normalization(Normalization.SAMPLES)
      .build();
  private static final LossSpec SUM = LossSpec.builder()
      .ignoreIndex(Batcher.IGNORE_INDEX)
      .tokenReduction(TokenReduction.SUM)
      .normalization(Normalization.NONE)
      .build();

  /**
   * @param steps optimizer steps (the learning-rate schedule spans them)
   * @param batchSize units per step
   * @param lr peak learning rate
   * @param weightDecay AdamW weight decay
   * @param seed shuffling seed
   */
  public record Options(int steps, int batchSize, double lr, double weightDecay, long seed) {}

  private final Batcher batcher;

  /** @param batcher response-only (or whole-text) targets for training */
  public Trainer(Batcher batcher) {
    this.batcher = batcher;
  }

  /** Optimizer steps for {@code epochs} passes over {@code units} units. */
  public static int steps(double epochs, int units, int batchSize) {
    return (int) Math.ceil(epochs * units / batchSize);
  }

  /**
   * Trains {@code model} in place for {@code o.steps()} steps.
   *
   * @param pairs preference pairs (empty for SFT); trained with {@code preference}
   * @param progress called with 1 after each step (may be null)
   * @return the objective per step
   */
  public double[] train(TinyTransformer model, List<Example> examples, List<Pair> pairs,
      Preference preference, Options o, IntConsumer progress) {
    if (examples.size() + pairs.size() == 0 || o.steps() == 0) {
      return new double[0];
    }
    try (TrainingRun run = start(model, examples, pairs, preference, o)) {
      run.advance(o.steps(), progress);
      return run.objective();
    }
  }

  /**
   * A run that trains {@code model} in place step by step, which can be snapshot and restored
   * ({@link TrainingRun}); the learning-rate schedule spans {@code o.steps()}.
   */
  public TrainingRun start(TinyTransformer model, List<Example> examples, List<Pair> pairs,
      Preference preference, Options o) {
    if (examples.size() + pairs.size() == 0) {
      throw new IllegalArgumentException("examples, pairs: no unit to train on");
    }
    if (!pairs.isEmpty() && preference == null) {
      throw new IllegalArgumentException("preference: needed to train pairs");
    }
    return new TrainingRun(this, model, examples, pairs, preference, o);
  }

  /** One optimizer step's forward and backward over a batch; returns its objective. */
  double step(TinyTransformer model, List<Example> ex, List<Pair> pr, Preference preference) {
    return pr.isEmpty() ? sftStep(model, ex) : preferenceStep(model, ex, pr, preference);
  }

  private double sftStep(TinyTransformer model, List<Example> ex) {
    List<String> texts = new ArrayList<>(2 * ex.size());
    float[] c = new float[ex.size()];
    for (int i = 0; i < ex.size(); i++) {
      texts.add(ex.get(i).prompt());
      texts.add(ex.get(i).response());
      c[i] = (float) ex.get(i).weight();
    }
    Batcher.Encoded enc = batcher.encode(texts);
    Tensor logits = model.forward(enc.tokens());
    TorchResult r = TorchLoss.step(TorchBatch.padded(logits, enc.targets()), c, MEAN);
    return r.total();
  }

  /**
   * Examples first (samples 0..E-1), then each pair's first and second response. The objective is
   * the mean over units of the examples' mean-token NLL and the pairs' DPO loss.
   */
  private double preferenceStep(TinyTransformer model, List<Example> ex, List<Pair> pr, Preference pref) {
    int e = ex.size();
    int n = e + 2 * pr.size();
    List<String> texts = new ArrayList<>(2 * n);
    for (Example x : ex) {
      texts.add(x.prompt());
      texts.add(x.response());
    }
    double[] ref = new double[n];
    double[] reward = new double[n];
    int[] first = new int[pr.size()];
    int[] second = new int[pr.size()];
    for (int p = 0; p < pr.size(); p++) {
      Pair x = pr.get(p);
      first[p] = e + 2 * p;
      second[p] = e + 2 * p + 1;
      texts.add(x.prompt());
      texts.add(x.first());
      texts.add(x.prompt());
      texts.add(x.second());
      ref[first[p]] = x.refFirst();
      ref[second[p]] = x.refSecond();
      reward[first[p]] = x.rewardFirst();
      reward[second[p]] = x.rewardSecond();
    }
    Batcher.Encoded enc = batcher.encode(texts);
    Tensor logits = model.forward(enc.tokens());
    TorchBatch batch = TorchBatch.padded(logits, enc.targets());
    TorchStats st = TorchLoss.forward(batch, SUM);
    float[] lossSum = Tensors.floats(st.loss());
    long[] tokens = Tensors.longs(st.tokenCount());
    double[] logProb = new double[n];
    for (int s = 0; s < n; s++) {
      logProb[s] = -lossSum[s];
    }
    double units = e + pr.size();
    Objective f = (pref.kind() == Preference.Kind.EQ8
        ? Dpo.squaredLoss(logProb, ref, reward, first, second, pref.beta())
        : Dpo.sigmoid(logProb, ref, first, second, pref.beta())).scaled(1 / units);
    double[] c = f.nllCoefficients();
    double objective = f.value();
    float[] coeff = new float[n];
    for (int s = 0; s < n; s++) {
      if (s < e) {
        double w = ex.get(s).weight() / Math.max(1, tokens[s]) / units;
        coeff[s] = (float) w;
        objective += w * lossSum[s];
      } else {
        coeff[s] = (float) c[s];
      }
    }
    TorchLoss.step(batch, st, coeff, SUM);
    return objective;
  }
}
