package dev.reweigh.pytorch;

import dev.reweigh.AllReduce;
import dev.reweigh.DataParallel;
import dev.reweigh.FusedLoss;
import dev.reweigh.LossResult;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeBatch;
import dev.reweigh.NativeGrad;
import dev.reweigh.Normalization;
import dev.reweigh.RowPartials;
import dev.reweigh.ShardedLoss;
import dev.reweigh.TokenReduction;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * One rank of {@link GlooAllReduceTest}, in its own JVM: joins a Gloo group on 127.0.0.1, runs
 * the vocabulary-sharded loss on its vocabulary shard and the data-parallel loss on its samples
 * for each option set, writes what it computed to a file and exits. Arguments: rank, size, port,
 * output file.
 */
public final class GlooWorker {
  static final int ROWS = 48;
  static final int VOCAB = 301;
  static final int SAMPLES = 8;
  static final int ROWS_PER_SAMPLE = ROWS / SAMPLES;

  static final LossSpec[] SPECS = {
      LossSpec.defaults(),
      LossSpec.builder().labelSmoothing(0.1f).zLoss(1e-3f).softcap(6f).logitScale(0.9f)
          .tokenReduction(TokenReduction.SUM).normalization(Normalization.TOKENS).build()};

  /** The problem every process builds from the same seed. */
  static final class Problem {
    final float[] logits = new float[ROWS * VOCAB];
    final int[] targets = new int[ROWS];
    final int[] offsets = new int[SAMPLES + 1];
    final float[] coefficients = new float[SAMPLES];

    Problem() {
      Random rnd = new Random(42);
      for (int i = 0; i < logits.length; i++) {
        logits[i] = (float) (rnd.nextGaussian() * 3);
      }
      for (int r = 0; r < ROWS; r++) {
        // The last two samples have every row ignored: a rank may hold an empty micro-batch.
        targets[r] = r >= ROWS - 2 * ROWS_PER_SAMPLE || rnd.nextInt(7) == 0 ? -100
            : rnd.nextInt(VOCAB);
      }
      for (int s = 0; s <= SAMPLES; s++) {
        offsets[s] = s * ROWS_PER_SAMPLE;
      }
      for (int s = 0; s < SAMPLES; s++) {
        coefficients[s] = 0.2f + rnd.nextFloat() * 1.6f;
      }
    }
  }

  /** Uneven vocabulary bounds for {@code size} shards. */
  static int[] vocabBounds(int size) {
    int[] b = new int[size + 1];
    for (int k = 1; k < size; k++) {
      b[k] = (int) ((long) VOCAB * k * k / ((long) size * size)); // widths grow with k
    }
    b[size] = VOCAB;
    return b;
  }

  public static void main(String[] args) throws Exception {
    int rank = Integer.parseInt(args[0]);
    int size = Integer.parseInt(args[1]);
    int port = Integer.parseInt(args[2]);
    AllReduce group =
        TorchAllReduce.gloo("127.0.0.1", port, rank, size, Duration.ofSeconds(60));
    Problem p = new Problem();
    try (DataOutputStream out = new DataOutputStream(new FileOutputStream(args[3]))) {
      for (LossSpec spec : SPECS) {
        vocabularyShard(p, spec, rank, size, group, out);
        dataParallel(p, spec, rank, size, group, out);
      }
    }
    System.exit(0);
  }

  /** Shard [lo, hi) of every row: stats (identical on every rank) and the gradient slice. */
  static void vocabularyShard(Problem p, LossSpec spec, int rank, int size, AllReduce group,
      DataOutputStream out) throws Exception {
    int[] bounds = vocabBounds(size);
    int lo = bounds[rank];
    int width = bounds[rank + 1] - lo;
    float[] shard = new float[ROWS * width];
    for (int r = 0; r < ROWS; r++) {
      System.arraycopy(p.logits, r * VOCAB + lo, shard, r * width, width);
    }
    try (FloatPointer l = new FloatPointer(shard); IntPointer t = new IntPointer(p.targets);
        IntPointer o = new IntPointer(p.offsets)) {
      NativeBatch b = NativeBatch.builder().logits(l, ROWS, width).targets(t)
          .offsets(o, SAMPLES).build();
      RowPartials part = ShardedLoss.partialForward(b, lo, VOCAB, spec);
      ShardedLoss.combine(part, group);
      LossResult r = ShardedLoss.stats(b, VOCAB, part, p.coefficients, spec);
      ShardedLoss.backward(b, lo, VOCAB, part, p.coefficients, spec, NativeGrad.inPlace(b));
      float[] grad = new float[shard.length];
      l.get(grad);
      out.writeDouble(r.total());
      writeFloats(out, r.stats().losses());
      writeFloats(out, grad);
    }
  }

  /** This rank's samples with the all-reduced normaliser: its total and its gradient rows. */
  static void dataParallel(Problem p, LossSpec spec, int rank, int size, AllReduce group,
      DataOutputStream out) throws Exception {
    int s0 = SAMPLES * rank / size;
    int s1 = SAMPLES * (rank + 1) / size;
    int r0 = s0 * ROWS_PER_SAMPLE;
    int r1 = s1 * ROWS_PER_SAMPLE;
    float[] logits = Arrays.copyOfRange(p.logits, r0 * VOCAB, r1 * VOCAB);
    int[] targets = Arrays.copyOfRange(p.targets, r0, r1);
    int[] offsets = new int[s1 - s0 + 1];
    for (int s = 0; s < offsets.length; s++) {
      offsets[s] = s * ROWS_PER_SAMPLE;
    }
    float[] c = Arrays.copyOfRange(p.coefficients, s0, s1);
    LossSpec global;
    try (FloatPointer l = new FloatPointer(logits); IntPointer t = new IntPointer(targets);
        IntPointer o = new IntPointer(offsets)) {
      NativeBatch b = NativeBatch.builder().logits(l, r1 - r0, VOCAB).targets(t)
          .offsets(o, s1 - s0).build();
      global = DataParallel.globalSpec(b, c, spec, group);
    }
    float[] grad = new float[logits.length];
    LossResult r = FusedLoss.forwardBackward(logits, VOCAB, targets, offsets, c, global, grad);
    out.writeDouble(r.total());
    writeFloats(out, grad);
  }

  static void writeFloats(DataOutputStream out, double[] v) throws Exception {
    out.writeInt(v.length);
    for (double x : v) {
      out.writeFloat((float) x);
    }
  }

  static void writeFloats(DataOutputStream out, float[] v) throws Exception {
    out.writeInt(v.length);
    for (float x : v) {
      out.writeFloat(x);
    }
  }
}
