package dev.reweigh;

import static dev.reweigh.testkit.Reference64.toDoubles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.reweigh.testkit.Bf16;
import dev.reweigh.testkit.Close;
import dev.reweigh.testkit.OptionGrid;
import dev.reweigh.testkit.Reference64;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * K vocabulary shards (K = 1, 2, 3, 7; uneven widths; one shard owning no target) reproduce the
 * unsharded {@link FusedLoss} statistics and gradients, for every option set, fp32 and bf16, by
 * both combining routes: pairwise {@link ShardedLoss#merge} (vocabulary blocks) and {@link
 * ShardedLoss#combine} over an {@link InProcessGroup} with one thread per shard (ranks). The
 * float64 {@link Reference64} checks the same outputs independently.
 *
 * <p>Tolerances: the unsharded kernel and the shards add a row's terms in different orders, each
 * in float32, so they differ by the float32 rounding of the row sums: {@link
 * FusedLossReferenceTest#statTol}, the bound both already meet against float64.
 */
class ShardedLossTest {

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    long seed = 100;
    for (int k : new int[] {1, 2, 3, 7}) {
      for (int vocab : new int[] {17, 1000}) {
        for (String options : OptionGrid.KERNEL_LABELS) {
          for (boolean bf16 : new boolean[] {false, true}) {
            out.add(Arguments.of(k, vocab, options, bf16, seed++));
          }
        }
      }
    }
    return out.stream();
  }

  /** K uneven widths summing to vocab (each >= 1), from the seed. */
  static long[] splits(int k, int vocab, Random rnd) {
    long[] bounds = new long[k + 1];
    bounds[k] = vocab;
    java.util.TreeSet<Integer> cuts = new java.util.TreeSet<>();
    while (cuts.size() < k - 1) {
      cuts.add(1 + rnd.nextInt(vocab - 1));
    }
    int i = 1;
    for (int c : cuts) {
      bounds[i++] = c;
    }
    return bounds;
  }

  /** Moves every target out of shard {@code empty} (to the first column of the next shard). */
  static void emptyShard(int[] targets, long[] bounds, int empty) {
    for (int r = 0; r < targets.length; r++) {
      if (targets[r] >= bounds[empty] && targets[r] < bounds[empty + 1]) {
        targets[r] = (int) (empty + 1 < bounds.length - 1 ? bounds[empty + 1] : bounds[0]);
      }
    }
  }

  /** The batch's logits as stored (bf16-rounded when bf16). */
  static float[] stored(float[] logits, boolean bf16) {
    return bf16 ? Bf16.values(Bf16.bits(logits)) : logits.clone();
  }

  /** Shard s of a [rows, vocab] buffer: its first column at bounds[s], row stride vocab. */
  static NativeBatch shard(Pointer logits, boolean bf16, IntPointer targets, IntPointer offsets,
      int samples, int rows, int vocab, long lo, long hi) {
    NativeBatch.Builder b = NativeBatch.builder();
    if (bf16) {
      b.logitsBf16(new ShortPointer(logits).position(lo), rows, hi - lo);
    } else {
      b.logits(new FloatPointer(logits).position(lo), rows, hi - lo);
    }
    return b.rowStride(vocab).targets(targets).offsets(offsets, samples).build();
  }

  static NativeGrad shardGrad(Pointer grad, boolean bf16, int vocab, long lo) {
    return bf16 ? NativeGrad.of(new ShortPointer(grad).position(lo), vocab)
        : NativeGrad.of(new FloatPointer(grad).position(lo), vocab);
  }

  static float[] read(Pointer p, boolean bf16, int n) {
    float[] out = new float[n];
    if (bf16) {
      short[] h = new short[n];
      ((ShortPointer) p).get(h);
      out = Bf16.values(h);
    } else {
      ((FloatPointer) p).get(out);
    }
    return out;
  }

  @ParameterizedTest(name = "K={0} V={1} {2} bf16={3}")
  @MethodSource("cases")
  void shardsReproduceUnsharded(int k, int vocab, String options, boolean bf16, long seed)
      throws Exception {
    OptionGrid.Named named = OptionGrid.kernel(options);
    LossSpec spec = named.spec();
    int rows = 29;
    TestBatch b = TestBatch.random(seed, rows, vocab, 3.0, named.negative());
    Random rnd = new Random(seed);
    long[] bounds = splits(k, vocab, rnd);
    int[] targets = b.targets.clone();
    if (k > 1) {
      emptyShard(targets, bounds, rnd.nextInt(k));
    }
    TestBatch t = TestBatch.of(vocab, stored(b.logits, bf16), targets, b.offsets, b.coefficients);
    assumeTrue(FusedLossReferenceTest.hasDenominator(t, named.o()), "normaliser D = 0");
    int samples = t.samples();

    // Unsharded: the kernel and the float64 reference.
    float[] gradWhole = new float[rows * vocab];
    LossResult whole = unsharded(t, vocab, targets, spec, bf16, gradWhole);
    Reference64 ref =
        Reference64.compute(t.logits, vocab, targets, t.offsets, t.coefficients, named.o());

    try (Pointer logits = bf16 ? new ShortPointer(rows * vocab) : new FloatPointer(rows * vocab);
        Pointer gradMerge = bf16 ? new ShortPointer(rows * vocab) : new FloatPointer(rows * vocab);
        Pointer gradGroup = bf16 ? new ShortPointer(rows * vocab) : new FloatPointer(rows * vocab);
        IntPointer tp = new IntPointer(targets);
        IntPointer op = new IntPointer(t.offsets)) {
      if (bf16) {
        ((ShortPointer) logits).put(Bf16.bits(t.logits));
      } else {
        ((FloatPointer) logits).put(t.logits);
      }
      NativeBatch[] shards = new NativeBatch[k];
      for (int s = 0; s < k; s++) {
        shards[s] = shard(logits, bf16, tp, op, samples, rows, vocab, bounds[s], bounds[s + 1]);
      }

      // Route 1: blocks merged pairwise in one thread.
      RowPartials acc = ShardedLoss.partialForward(shards[0], bounds[0], vocab, spec);
      for (int s = 1; s < k; s++) {
        ShardedLoss.merge(acc, ShardedLoss.partialForward(shards[s], bounds[s], vocab, spec));
      }
      LossResult merged = ShardedLoss.stats(shards[0], vocab, acc, t.coefficients, spec);
      for (int s = 0; s < k; s++) {
        ShardedLoss.backward(shards[s], bounds[s], vocab, acc, t.coefficients, spec,
            shardGrad(gradMerge, bf16, vocab, bounds[s]));
      }

      // Route 2: one thread per shard, combined over the in-process group.
      InProcessGroup group = new InProcessGroup(k, 60_000);
      ExecutorService pool = Executors.newFixedThreadPool(k);
      List<Future<LossResult>> results = new ArrayList<>();
      try {
        for (int s = 0; s < k; s++) {
          final int rank = s;
          results.add(pool.submit(() -> {
            RowPartials p = ShardedLoss.partialForward(shards[rank], bounds[rank], vocab, spec);
            ShardedLoss.combine(p, group.member(rank));
            ShardedLoss.backward(shards[rank], bounds[rank], vocab, p, t.coefficients, spec,
                shardGrad(gradGroup, bf16, vocab, bounds[rank]));
            return ShardedLoss.stats(shards[rank], vocab, p, t.coefficients, spec);
          }));
        }
        List<LossResult> perRank = new ArrayList<>();
        for (Future<LossResult> f : results) {
          perRank.add(f.get());
        }
        double tol = FusedLossReferenceTest.statTol(vocab);
        for (LossResult r : perRank) {
          compareStats("group", whole, r, ref, tol);
        }
        compareStats("merge", whole, merged, ref, tol);
      } finally {
        pool.shutdownNow();
      }

      double gradTol = ref.gradScale * (FusedLossReferenceTest.statTol(vocab) + 1e-6);
      // bf16 gradients: one bf16 rounding (2^-8 relative) on top of the fp32 differences.
      double gradRtol = bf16 ? 1.0 / 128 : FusedLossReferenceTest.statTol(vocab);
      float[] gm = read(gradMerge, bf16, rows * vocab);
      float[] gg = read(gradGroup, bf16, rows * vocab);
      Close.arrays("grad (merge) vs unsharded", toDoubles(gradWhole), gm, gradTol, gradRtol);
      Close.arrays("grad (group) vs unsharded", toDoubles(gradWhole), gg, gradTol, gradRtol);
      Close.arrays("grad (merge) vs float64", ref.grad, gm, gradTol, gradRtol);
    }
  }

  /** The unsharded kernel on t's stored logits; its gradient into {@code gradWhole}. */
  static LossResult unsharded(TestBatch t, int vocab, int[] targets, LossSpec spec, boolean bf16,
      float[] gradWhole) {
    if (!bf16) {
      return FusedLoss.forwardBackward(t.logits, vocab, targets, t.offsets, t.coefficients, spec,
          gradWhole);
    }
    short[] lb = Bf16.bits(t.logits);
    short[] gb = new short[lb.length];
    LossResult whole =
        FusedLoss.forwardBackward(lb, vocab, targets, t.offsets, t.coefficients, spec, gb);
    System.arraycopy(Bf16.values(gb), 0, gradWhole, 0, gb.length);
    return whole;
  }

  static void compareStats(String route, LossResult whole, LossResult sharded, Reference64 ref,
      double tol) {
    SampleStats w = whole.stats();
    SampleStats s = sharded.stats();
    assertEquals(w.samples(), s.samples(), route + " samples");
    for (int i = 0; i < w.samples(); i++) {
      assertEquals(w.tokenCount(i), s.tokenCount(i), route + " tokenCount[" + i + "]");
    }
    Close.scalar(route + " total", whole.total(), sharded.total(), tol, tol);
    Close.arrays(route + " loss", w.losses(), s.losses(), tol, tol);
    Close.arrays(route + " logProbSum", w.logProbSums(), s.logProbSums(), tol * 4, tol);
    Close.arrays(route + " meanEntropy", w.meanEntropies(), s.meanEntropies(), tol, tol);
    Close.arrays(route + " rowLse", toDoubles(w.rowLse()), s.rowLse(), tol, tol);
    Close.arrays(route + " loss vs float64", ref.loss, s.losses(), tol, tol);
    Close.arrays(route + " meanEntropy vs float64", ref.meanEntropy, s.meanEntropies(), tol, tol);
  }

  /** One fp32 batch of 3 rows over V = 10, in native memory, for the bad-input cases. */
  private static final float[] LOGITS = new float[30];
  private static final int[] TARGETS = {1, 9, -100};
  private static final int[] OFFSETS = {0, 2, 3};

  @Test
  void badInputNamesTheArgument() {
    try (FloatPointer l = new FloatPointer(LOGITS); IntPointer tp = new IntPointer(TARGETS);
        IntPointer op = new IntPointer(OFFSETS)) {
      LossSpec spec = LossSpec.defaults();
      NativeBatch half = shard(l, false, tp, op, 2, 3, 10, 5, 10);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ShardedLoss.partialForward(half, 6, 10, spec));
      assertTrue(e.getMessage().contains("vocabOffset = 6"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> ShardedLoss.partialForward(half, 5, 9, spec));
      assertTrue(e.getMessage().contains("vocabTotal = 9"), e.getMessage());
      // Targets are global: 9 lies outside [0, 9).
      e = assertThrows(IllegalArgumentException.class,
          () -> ShardedLoss.partialForward(half, 0, 9, spec));
      assertTrue(e.getMessage().contains("targets[1] = 9"), e.getMessage());
      RowPartials p = ShardedLoss.partialForward(half, 5, 10, spec);
      e = assertThrows(IllegalArgumentException.class,
          () -> ShardedLoss.merge(p, RowPartials.allocate(2)));
      assertTrue(e.getMessage().contains("from has 2 rows"), e.getMessage());
      // A "collective" whose MAX lowers a row's max is rejected by the rebase, naming the row.
      AllReduce broken = new AllReduce() {
        @Override
        public void maxInPlace(float[] values) {
          values[1] -= 1;
        }

        @Override
        public void sumInPlace(float[] values) {}

        @Override
        public void sumInPlace(double[] values) {}
      };
      e = assertThrows(IllegalArgumentException.class, () -> ShardedLoss.combine(p, broken));
      assertTrue(e.getMessage().contains("globalMax[1]"), e.getMessage());
      // Row 0's combined partial from one shard alone has no mass when its logits are masked.
      RowPartials masked = p.copy();
      masked.sumExp[0] = 0f;
      masked.max[0] = Float.NEGATIVE_INFINITY;
      e = assertThrows(IllegalArgumentException.class, () -> ShardedLoss.backward(half, 5, 10,
          masked, new float[] {1f, 1f}, spec, NativeGrad.inPlace(half)));
      assertTrue(e.getMessage().contains("combined row 0"), e.getMessage());
    }
  }

  @Test
  void localNormalizerIsZeroForAnEmptyMicroBatch() {
    try (FloatPointer l = new FloatPointer(LOGITS);
        IntPointer tp = new IntPointer(new int[] {-100, -100, -100});
        IntPointer op = new IntPointer(OFFSETS)) {
      NativeBatch b = shard(l, false, tp, op, 2, 3, 10, 0, 10);
      for (Normalization n : new Normalization[] {Normalization.WEIGHT_SUM, Normalization.TOKENS,
          Normalization.SAMPLES}) {
        LossSpec spec = LossSpec.builder().normalization(n).build();
        assertEquals(0.0, ShardedLoss.localNormalizer(b, 10, new float[] {2f, 3f}, spec), n.name());
      }
    }
  }

  /**
   * A padded vocabulary: the last shard's logits are all -inf (Megatron pads V to a multiple of
   * the ranks). Without softcap that shard's partials are empty states; the combined rows equal the
   * unsharded ones over the padded row (the -inf logits add nothing) and the padded gradient is
   * exactly 0.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("unsmoothed")
  void maskedPaddingShardContributesNothing(String options) {
    OptionGrid.Named named = OptionGrid.kernel(options);
    LossSpec spec = named.spec();
    int rows = 9;
    int vocab = 64;
    int pad = 48; // columns [48, 64) are padding
    TestBatch b = TestBatch.random(5, rows, vocab, 3.0, named.negative());
    float[] logits = b.logits.clone();
    int[] targets = b.targets.clone();
    for (int r = 0; r < rows; r++) {
      java.util.Arrays.fill(logits, r * vocab + pad, (r + 1) * vocab, Float.NEGATIVE_INFINITY);
      if (targets[r] >= pad) {
        targets[r] = targets[r] % pad;
      }
    }
    TestBatch t = TestBatch.of(vocab, logits, targets, b.offsets, b.coefficients);
    assumeTrue(FusedLossReferenceTest.hasDenominator(t, named.o()), "normaliser D = 0");
    float[] gradWhole = new float[rows * vocab];
    LossResult whole =
        FusedLoss.forwardBackward(logits, vocab, targets, t.offsets, t.coefficients, spec, gradWhole);
    long[] bounds = {0, 20, pad, vocab};
    try (FloatPointer l = new FloatPointer(logits); FloatPointer g = new FloatPointer(rows * vocab);
        IntPointer tp = new IntPointer(targets); IntPointer op = new IntPointer(t.offsets)) {
      RowPartials acc = null;
      NativeBatch[] shards = new NativeBatch[3];
      for (int s = 0; s < 3; s++) {
        shards[s] = shard(l, false, tp, op, t.samples(), rows, vocab, bounds[s], bounds[s + 1]);
        RowPartials p = ShardedLoss.partialForward(shards[s], bounds[s], vocab, spec);
        if (s == 2 && spec.softcap() == 0f) { // softcap maps -inf to -c: not masked then
          for (int r = 0; r < rows; r++) {
            assertEquals(0f, p.sumExp()[r], "padding shard sumExp[" + r + "]");
          }
        }
        if (acc == null) {
          acc = p;
        } else {
          ShardedLoss.merge(acc, p);
        }
      }
      LossResult sharded = ShardedLoss.stats(shards[0], vocab, acc, t.coefficients, spec);
      for (int s = 0; s < 3; s++) {
        ShardedLoss.backward(shards[s], bounds[s], vocab, acc, t.coefficients, spec,
            shardGrad(g, false, vocab, bounds[s]));
      }
      double tol = FusedLossReferenceTest.statTol(vocab);
      compareStats("padded", whole, sharded,
          Reference64.compute(logits, vocab, targets, t.offsets, t.coefficients, named.o()),
          tol);
      float[] grad = read(g, false, rows * vocab);
      Close.arrays("padded grad", toDoubles(gradWhole), grad, 1e-7, tol);
      for (int r = 0; r < rows; r++) {
        for (int v = pad; v < vocab; v++) {
          assertTrue(grad[r * vocab + v] == 0f, "padding grad [" + r + ", " + v + "] = "
              + grad[r * vocab + v]);
        }
      }
    }
  }

  static Stream<String> unsmoothed() {
    return OptionGrid.KERNEL.stream().filter(n -> n.o().eps() == 0).map(OptionGrid.Named::label);
  }
}
