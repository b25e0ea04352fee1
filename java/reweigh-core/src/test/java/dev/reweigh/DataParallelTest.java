package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.reweigh.testkit.Close;
import dev.reweigh.testkit.OptionGrid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Data parallel through {@link DataParallel#globalSpec}: a batch split by samples over R ranks
 * (one thread each, an {@link InProcessGroup}; one rank's micro-batch entirely ignored) gives, per
 * rank, gradient rows equal to the single-process gradient of the whole batch, and totals that
 * add up to its total, for every option set.
 */
class DataParallelTest {

  @ParameterizedTest(name = "ranks={0}")
  @ValueSource(ints = {2, 3})
  void ranksReproduceTheWholeBatch(int ranks) throws Exception {
    for (String options : OptionGrid.KERNEL_LABELS) {
      LossSpec spec = OptionGrid.kernel(options).spec();
      int vocab = 300;
      int samplesPerRank = 4;
      int rowsPerSample = 5;
      int rows = ranks * samplesPerRank * rowsPerSample;
      TestBatch b = TestBatch.random(7 + ranks, rows, vocab, 3.0,
          spec.normalization() == Normalization.NONE);
      int[] targets = b.targets.clone();
      // The last rank's micro-batch has no counted row: its local D is 0.
      int lastStart = (ranks - 1) * samplesPerRank * rowsPerSample;
      Arrays.fill(targets, lastStart, rows, -100);
      int samples = ranks * samplesPerRank;
      int[] offsets = new int[samples + 1];
      float[] coefficients = new float[samples];
      for (int s = 0; s <= samples; s++) {
        offsets[s] = s * rowsPerSample;
      }
      for (int s = 0; s < samples; s++) {
        coefficients[s] = b.coefficients[s % b.coefficients.length];
      }
      float[] gradWhole = new float[rows * vocab];
      LossResult whole = FusedLoss.forwardBackward(b.logits, vocab, targets, offsets,
          coefficients, spec, gradWhole);

      InProcessGroup group = new InProcessGroup(ranks, 60_000);
      ExecutorService pool = Executors.newFixedThreadPool(ranks);
      try {
        List<Future<float[]>> grads = new ArrayList<>();
        double[] totals = new double[ranks];
        for (int r = 0; r < ranks; r++) {
          final int rank = r;
          grads.add(pool.submit(() -> {
            int rowLo = rank * samplesPerRank * rowsPerSample;
            int n = samplesPerRank * rowsPerSample;
            float[] logits = Arrays.copyOfRange(b.logits, rowLo * vocab, (rowLo + n) * vocab);
            int[] t = Arrays.copyOfRange(targets, rowLo, rowLo + n);
            int[] o = new int[samplesPerRank + 1];
            for (int s = 0; s <= samplesPerRank; s++) {
              o[s] = s * rowsPerSample;
            }
            float[] c = Arrays.copyOfRange(coefficients, rank * samplesPerRank,
                (rank + 1) * samplesPerRank);
            try (FloatPointer lp = new FloatPointer(logits); IntPointer tp = new IntPointer(t);
                IntPointer op = new IntPointer(o)) {
              NativeBatch batch = NativeBatch.builder().logits(lp, n, vocab).targets(tp)
                  .offsets(op, samplesPerRank).build();
              LossSpec global = DataParallel.globalSpec(batch, c, spec, group.member(rank));
              if (spec.normalization() == Normalization.NONE
                  || spec.normalization() == Normalization.EXPLICIT) {
                assertSame(spec, global);
              }
              float[] g = new float[n * vocab];
              totals[rank] = FusedLoss.forwardBackward(logits, vocab, t, o, c, global, g).total();
              return g;
            }
          }));
        }
        double tol = FusedLossReferenceTest.statTol(vocab);
        double sum = 0;
        for (int r = 0; r < ranks; r++) {
          float[] g = grads.get(r).get();
          int lo = r * samplesPerRank * rowsPerSample * vocab;
          double[] expected = new double[g.length];
          for (int i = 0; i < g.length; i++) {
            expected[i] = gradWhole[lo + i];
          }
          Close.arrays(options + " rank " + r + " grad", expected, g, 1e-7, tol);
        }
        for (double t : totals) {
          sum += t;
        }
        Close.scalar(options + " sum of rank totals", whole.total(), sum, tol, tol);
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
