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
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ShardedLoss} with {@link NativePartials}: every array (partials, coefficients,
 * statistics, total) in native memory, the path CUDA batches take, run here on CPU batches. K
 * shards (K = 1, 3, 7; uneven widths; one shard owning no target) reproduce the unsharded {@link
 * FusedLoss} and the float64 {@link Reference64}, for every option set, fp32 and bf16, by both
 * combining routes: pairwise {@link ShardedLoss#merge(NativePartials, NativePartials)} and {@link
 * ShardedLoss#combine(NativePartials, NativeAllReduce)} over {@link
 * InProcessGroup#nativeMember}, one thread per shard. Tolerances as {@link ShardedLossTest}.
 */
class ShardedLossNativeTest {

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    long seed = 700;
    for (int k : new int[] {1, 3, 7}) {
      for (String options : OptionGrid.KERNEL_LABELS) {
        for (boolean bf16 : new boolean[] {false, true}) {
          out.add(Arguments.of(k, 300, options, bf16, seed++));
        }
      }
    }
    return out.stream();
  }

  /** Native statistics of one route: outputs and total in native memory. */
  static final class Outputs implements AutoCloseable {
    final FloatPointer loss;
    final FloatPointer logProbSum;
    final LongPointer tokenCount;
    final FloatPointer meanEntropy;
    final FloatPointer rowLse;
    final FloatPointer rowLogp;
    final FloatPointer rowEntropy;
    final DoublePointer total = new DoublePointer(1);

    Outputs(int samples, int rows) {
      loss = new FloatPointer(samples);
      logProbSum = new FloatPointer(samples);
      tokenCount = new LongPointer(samples);
      meanEntropy = new FloatPointer(samples);
      rowLse = new FloatPointer(rows);
      rowLogp = new FloatPointer(rows);
      rowEntropy = new FloatPointer(rows);
    }

    NativeStats stats() {
      return NativeStats.builder().loss(loss.address()).logProbSum(logProbSum.address())
          .tokenCount(tokenCount.address()).meanEntropy(meanEntropy.address())
          .rowLse(rowLse.address()).rowLogp(rowLogp.address()).rowEntropy(rowEntropy.address())
          .build();
    }

    /** The outputs as a heap result, for the shared comparisons. */
    LossResult result(int samples, int rows) {
      SampleStats st = SampleStats.allocate(samples, rows);
      loss.get(st.lossArray());
      logProbSum.get(st.logProbSumArray());
      tokenCount.get(st.tokenCountArray());
      meanEntropy.get(st.meanEntropyArray());
      rowLse.get(st.rowLseArray());
      rowLogp.get(st.rowLogpArray());
      rowEntropy.get(st.rowEntropyArray());
      return new LossResult(total.get(), 1.0, st);
    }

    @Override
    public void close() {
      for (Pointer p : new Pointer[] {loss, logProbSum, tokenCount, meanEntropy, rowLse, rowLogp,
          rowEntropy, total}) {
        p.close();
      }
    }
  }

  static NativePartials host(FloatPointer p, int rows) {
    return NativePartials.packed(Device.CPU, 0, rows, p.address());
  }

  @ParameterizedTest(name = "K={0} V={1} {2} bf16={3}")
  @MethodSource("cases")
  void nativePartialsReproduceUnsharded(int k, int vocab, String options, boolean bf16,
      long seed) throws Exception {
    OptionGrid.Named named = OptionGrid.kernel(options);
    LossSpec spec = named.spec();
    int rows = 23;
    TestBatch b = TestBatch.random(seed, rows, vocab, 3.0, named.negative());
    Random rnd = new Random(seed);
    long[] bounds = ShardedLossTest.splits(k, vocab, rnd);
    int[] targets = b.targets.clone();
    if (k > 1) {
      ShardedLossTest.emptyShard(targets, bounds, rnd.nextInt(k));
    }
    TestBatch t = TestBatch.of(vocab, ShardedLossTest.stored(b.logits, bf16), targets, b.offsets,
        b.coefficients);
    assumeTrue(FusedLossReferenceTest.hasDenominator(t, named.o()), "normaliser D = 0");
    int samples = t.samples();

    float[] gradWhole = new float[rows * vocab];
    LossResult whole = ShardedLossTest.unsharded(t, vocab, targets, spec, bf16, gradWhole);
    Reference64 ref =
        Reference64.compute(t.logits, vocab, targets, t.offsets, t.coefficients, named.o());

    try (Pointer logits = bf16 ? new ShortPointer(Bf16.bits(t.logits))
            : new FloatPointer(t.logits);
        Pointer gradMerge = bf16 ? new ShortPointer(rows * vocab) : new FloatPointer(rows * vocab);
        Pointer gradGroup = bf16 ? new ShortPointer(rows * vocab) : new FloatPointer(rows * vocab);
        IntPointer tp = new IntPointer(targets);
        IntPointer op = new IntPointer(t.offsets);
        FloatPointer coefficients = new FloatPointer(t.coefficients);
        FloatPointer partials = new FloatPointer(NativePartials.bytes(rows) / 4 * k);
        Outputs merged = new Outputs(samples, rows);
        Outputs grouped = new Outputs(samples, rows)) {
      NativeBatch[] shards = new NativeBatch[k];
      NativePartials[] p = new NativePartials[k];
      long stride = NativePartials.bytes(rows);
      for (int s = 0; s < k; s++) {
        shards[s] = ShardedLossTest.shard(logits, bf16, tp, op, samples, rows, vocab, bounds[s],
            bounds[s + 1]);
        p[s] = NativePartials.packed(Device.CPU, 0, rows, partials.address() + s * stride);
      }

      // Route 1: blocks merged pairwise into shard 0's partials.
      for (int s = 0; s < k; s++) {
        ShardedLoss.partialForward(shards[s], bounds[s], vocab, spec, p[s]);
      }
      for (int s = 1; s < k; s++) {
        ShardedLoss.merge(p[0], p[s]);
      }
      ShardedLoss.stats(shards[0], vocab, p[0], coefficients.address(), spec, merged.stats(),
          merged.total.address());
      for (int s = 0; s < k; s++) {
        ShardedLoss.backward(shards[s], bounds[s], vocab, p[0], coefficients.address(), spec,
            ShardedLossTest.shardGrad(gradMerge, bf16, vocab, bounds[s]));
      }

      // Route 2: one thread per shard, each with its own partials, over the in-process group.
      InProcessGroup group = new InProcessGroup(k, 60_000);
      ExecutorService pool = Executors.newFixedThreadPool(k);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int s = 0; s < k; s++) {
          final int rank = s;
          done.add(pool.submit(() -> {
            ShardedLoss.partialForward(shards[rank], bounds[rank], vocab, spec, p[rank]);
            ShardedLoss.combine(p[rank], group.nativeMember(rank));
            ShardedLoss.backward(shards[rank], bounds[rank], vocab, p[rank],
                coefficients.address(), spec,
                ShardedLossTest.shardGrad(gradGroup, bf16, vocab, bounds[rank]));
            if (rank == k - 1) {
              ShardedLoss.stats(shards[rank], vocab, p[rank], coefficients.address(), spec,
                  grouped.stats(), grouped.total.address());
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }

      double tol = FusedLossReferenceTest.statTol(vocab);
      ShardedLossTest.compareStats("native merge", whole, merged.result(samples, rows), ref, tol);
      ShardedLossTest.compareStats("native group", whole, grouped.result(samples, rows), ref, tol);
      double gradTol = ref.gradScale * (FusedLossReferenceTest.statTol(vocab) + 1e-6);
      double gradRtol = bf16 ? 1.0 / 128 : FusedLossReferenceTest.statTol(vocab);
      float[] gm = ShardedLossTest.read(gradMerge, bf16, rows * vocab);
      float[] gg = ShardedLossTest.read(gradGroup, bf16, rows * vocab);
      Close.arrays("native grad (merge) vs unsharded", toDoubles(gradWhole), gm, gradTol,
          gradRtol);
      Close.arrays("native grad (group) vs unsharded", toDoubles(gradWhole), gg, gradTol,
          gradRtol);
      Close.arrays("native grad (group) vs float64", ref.grad, gg, gradTol, gradRtol);
    }
  }

  @Test
  void badInputNamesTheArgument() {
    int rows = 3;
    int vocab = 10;
    try (FloatPointer logits = new FloatPointer(rows * vocab);
        IntPointer tp = new IntPointer(1, 9, -100);
        IntPointer op = new IntPointer(0, 2, 3);
        FloatPointer mem = new FloatPointer(2 * NativePartials.bytes(rows) / 4)) {
      NativeBatch batch = NativeBatch.builder().logits(logits, rows, vocab).targets(tp)
          .offsets(op, 2).build();
      LossSpec spec = LossSpec.defaults();
      NativePartials two = NativePartials.packed(Device.CPU, 0, 2, mem.address());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ShardedLoss.partialForward(batch, 0, vocab, spec, two));
      assertEquals("out has 2 rows but the batch has 3", e.getMessage());

      NativePartials onCuda = NativePartials.packed(Device.cuda(0), 0, rows, mem.address());
      e = assertThrows(IllegalArgumentException.class,
          () -> ShardedLoss.partialForward(batch, 0, vocab, spec, onCuda));
      assertTrue(e.getMessage().startsWith("out lives on " + Device.cuda(0)), e.getMessage());

      NativePartials a = host(mem, rows);
      NativePartials b = NativePartials.packed(Device.CPU, 0, rows,
          mem.address() + NativePartials.bytes(rows));
      e = assertThrows(IllegalArgumentException.class, () -> ShardedLoss.merge(a, two));
      assertEquals("from has 2 rows but into has 3", e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> ShardedLoss.merge(a, onCuda));
      assertTrue(e.getMessage().startsWith("from lives on"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> ShardedLoss.merge(a, a));
      assertEquals("into and from are the same partials", e.getMessage());

      e = assertThrows(IllegalArgumentException.class,
          () -> NativePartials.packed(Device.CPU, 0, rows, 0));
      assertEquals("partials address is 0", e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> NativePartials.packed(Device.CPU, 0, rows, mem.address() + 2));
      assertTrue(e.getMessage().contains("not aligned"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> NativePartials.packed(Device.CPU, 5, rows, mem.address()));
      assertEquals("stream = 5 must be 0 for host partials", e.getMessage());

      e = assertThrows(IllegalArgumentException.class,
          () -> ShardedLoss.backward(batch, 0, vocab, b, 0, spec, NativeGrad.inPlace(batch)));
      assertEquals("coefficients address is 0", e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> ShardedLoss.stats(batch, vocab, b, 0, spec, null, 0));
      assertEquals("out is null", e.getMessage());

      // A combine whose global max lies below a row's own max is the native check's message.
      ShardedLoss.partialForward(batch, 0, vocab, spec, b);
      NativeAllReduce lowMax = new NativeAllReduce() {
        @Override
        public void maxInto(Device device, long stream, long source, long target, long count) {
          float[] low = new float[(int) count];
          java.util.Arrays.fill(low, -1e30f);
          new FloatPointer(mem).position((target - mem.address()) / Float.BYTES).put(low);
        }

        @Override
        public void sumInPlace(Device device, long stream, long address, long count) {}
      };
      e = assertThrows(IllegalArgumentException.class, () -> ShardedLoss.combine(b, lowMax));
      assertTrue(e.getMessage().contains("globalMax[0]"), e.getMessage());

      e = assertThrows(IllegalArgumentException.class,
          () -> new InProcessGroup(1, 1000).nativeMember(0)
              .sumInPlace(Device.cuda(0), 0, mem.address(), 3));
      assertTrue(e.getMessage().contains("host memory"), e.getMessage());
    }
  }
}
