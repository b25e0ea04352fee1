package dev.reweigh.demo.train;

import dev.reweigh.demo.model.TinyTransformer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Tensor;

/**
 * Minibatch AdamW training through a {@link LossStep}: encode, forward, fused loss + gradient
 * injected with {@code logits.backward(grad)}, optimizer step. Linear warm-up then cosine decay to
 * 10% of the peak learning rate.
 */
public final class Trainer {
  /**
   * @param steps optimizer steps
   * @param batchSize samples per step (pairs count twice)
   * @param lr peak learning rate
   * @param weightDecay AdamW weight decay
   * @param dpoBeta 0 for weighted SFT; > 0 trains (chosen, rejected) pairs with sigmoid DPO
   * @param seed shuffling seed
   */
  public record Options(int steps, int batchSize, double lr, double weightDecay, double dpoBeta, long seed) {}

  /** Objective per step. */
  public record Log(double[] objective) {
    /** Mean objective over the first {@code k} steps. */
    public double start(int k) {
      return mean(0, Math.min(k, objective.length));
    }

    /** Mean objective over the last {@code k} steps. */
    public double end(int k) {
      return mean(Math.max(0, objective.length - k), objective.length);
    }

    private double mean(int from, int to) {
      double s = 0;
      for (int i = from; i < to; i++) {
        s += objective[i];
      }
      return to > from ? s / (to - from) : Double.NaN;
    }
  }

  private final Batcher batcher;
  private final LossStep lossStep;

  public Trainer(Batcher batcher, LossStep lossStep) {
    this.batcher = batcher;
    this.lossStep = lossStep;
  }

  @SuppressWarnings("try") // scopes and guards are used for their side effects
  public Log train(TinyTransformer model, List<Example> data, Options o, IntConsumer progress) {
    double[] log = new double[o.steps()];
    if (data.isEmpty() || o.steps() == 0) {
      java.util.Arrays.fill(log, Double.NaN);
      return new Log(log);
    }
    boolean dpo = o.dpoBeta() > 0;
    int unit = dpo ? 2 : 1; // DPO shuffles whole pairs
    int units = data.size() / unit;
    int perBatch = Math.max(1, o.batchSize() / unit);
    SplittableRandom rnd = new SplittableRandom(o.seed());
    int[] order = permutation(units, rnd);
    int cursor = 0;
    AdamWOptions opts = new AdamWOptions(o.lr());
    opts.weight_decay().put(o.weightDecay());
    AdamW optimizer = new AdamW(model.parameters(), opts);
    model.train(true);
    int warmup = Math.max(1, o.steps() / 10);
    for (int step = 0; step < o.steps(); step++) {
      List<Example> batch = new ArrayList<>(perBatch * unit);
      for (int i = 0; i < perBatch; i++) {
        if (cursor == units) {
          order = permutation(units, rnd);
          cursor = 0;
        }
        int u = order[cursor++];
        for (int j = 0; j < unit; j++) {
          batch.add(data.get(u * unit + j));
        }
      }
      double progressFrac = (double) step / o.steps();
      double lr = o.lr() * Math.min(1.0, (step + 1.0) / warmup)
          * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progressFrac)));
      optimizer.param_groups().get(0).options().set_lr(lr);
      try (PointerScope scope = new PointerScope()) {
        optimizer.zero_grad();
        Batcher.Encoded enc = batcher.encode(batch);
        Tensor logits = model.forward(enc.tokens());
        Coefficients c = dpo ? new DpoCoefficients(batch, o.dpoBeta()) : fixed(batch);
        LossStep.Result r = lossStep.step(logits, enc.targets(),
            c, dpo ? LossOptions.summed() : LossOptions.mean());
        optimizer.step();
        log[step] = r.objective();
      }
      if (progress != null) {
        progress.accept(1);
      }
    }
    model.eval();
    optimizer.close();
    return new Log(log);
  }

  private static Coefficients fixed(List<Example> batch) {
    float[] c = new float[batch.size()];
    for (int i = 0; i < c.length; i++) {
      c[i] = (float) batch.get(i).weight();
    }
    return Coefficients.fixed(c);
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
