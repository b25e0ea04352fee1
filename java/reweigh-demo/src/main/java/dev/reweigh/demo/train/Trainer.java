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
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
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
   * Trains {@code model} in place.
   *
   * @param pairs preference pairs (empty for SFT); trained with {@code preference}
   * @param every call {@code checkpoint} after every this many steps (0: never)
   * @param checkpoint given the steps done, returns true to stop early (may be null)
   * @param progress called with 1 after each step (may be null)
   * @return the objective per step run
   */
  @SuppressWarnings("try") // scopes are used for their side effects
  public double[] train(TinyTransformer model, List<Example> examples, List<Pair> pairs,
      Preference preference, Options o, int every, IntPredicate checkpoint, IntConsumer progress) {
    int units = examples.size() + pairs.size();
    if (units == 0 || o.steps() == 0) {
      return new double[0];
    }
    if (!pairs.isEmpty() && preference == null) {
      throw new IllegalArgumentException("preference: needed to train pairs");
    }
    SplittableRandom rnd = new SplittableRandom(o.seed());
    int[] order = permutation(units, rnd);
    int cursor = 0;
    AdamWOptions opts = new AdamWOptions(o.lr());
    opts.weight_decay().put(o.weightDecay());
    AdamW optimizer = new AdamW(model.parameters(), opts);
    model.train(true);
    int warmup = Math.max(1, o.steps() / 20);
    int perBatch = Math.min(o.batchSize(), units);
    List<Double> log = new ArrayList<>(o.steps());
    for (int step = 0; step < o.steps(); step++) {
      List<Example> ex = new ArrayList<>(perBatch);
      List<Pair> pr = new ArrayList<>();
      for (int i = 0; i < perBatch; i++) {
        if (cursor == units) {
          order = permutation(units, rnd);
          cursor = 0;
        }
        int u = order[cursor++];
        if (u < examples.size()) {
          ex.add(examples.get(u));
        } else {
          pr.add(pairs.get(u - examples.size()));
        }
      }
      double frac = (double) step / o.steps();
      double lr = o.lr() * Math.min(1.0, (step + 1.0) / warmup)
          * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * frac)));
      optimizer.param_groups().get(0).options().set_lr(lr);
      try (PointerScope scope = new PointerScope()) {
        optimizer.zero_grad();
        log.add(pr.isEmpty() ? sftStep(model, ex) : preferenceStep(model, ex, pr, preference));
        optimizer.step();
      }
      if (progress != null) {
        progress.accept(1);
      }
      if (every > 0 && checkpoint != null && (step + 1) % every == 0 && step + 1 < o.steps()) {
        model.eval();
        boolean stop = checkpoint.test(step + 1);
        model.train(true);
        if (stop) {
          break;
        }
      }
    }
    model.eval();
    optimizer.close();
    return log.stream().mapToDouble(Double::doubleValue).toArray();
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

  private static int[] permutation(int n, SplittableRandom rnd) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
