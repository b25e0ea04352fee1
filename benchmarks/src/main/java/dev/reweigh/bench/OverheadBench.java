package dev.reweigh.bench;

import dev.reweigh.FusedLoss;
import dev.reweigh.LossResult;
import dev.reweigh.SampleStats;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-call overhead on tiny batches, both ways in: heap arrays ({@code float[]}, pinned with
 * GetPrimitiveArrayCritical) and JavaCPP pointers ({@code NativeBatch}). 8 x 32000 is the target
 * case (compared with the same call from C, benchmarks/native/overhead.cpp); 1 x 16 is almost pure
 * overhead (argument checks, result arrays, JNI, the thread pool's dispatch). fp32, gradient into
 * a separate buffer so the input never changes.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// Calls take microseconds: 2 s of warmup is 10^4..10^6 calls, enough for C2; each of the plan's
// five 1 s iterations is many thousand calls.
@Warmup(iterations = 2, time = 1)
public class OverheadBench extends JmhPlan {
  @Param({"8x32000", "1x16"})
  public String shape;

  private BenchData data;
  private float[] logitsHeap;
  private float[] gradHeap;
  private Guard.Reference reference;
  private SampleStats last;
  private boolean pointerGradient;

  @Setup(Level.Trial)
  public void setUp() {
    data = BenchData.create(shape, "f32", true);
    logitsHeap = new float[(int) data.shape.elements()];
    ((FloatPointer) data.logits).get(logitsHeap);
    gradHeap = new float[logitsHeap.length];
    reference = Guard.reference(data, () -> pointerForwardBackward().stats());
    last = null;
    pointerGradient = false;
  }

  @Benchmark
  public SampleStats heapForward() {
    return last = FusedLoss.forward(logitsHeap, data.shape.vocab, data.targetsHeap, data.offsetsHeap,
        data.spec);
  }

  @Benchmark
  public LossResult heapForwardBackward() {
    LossResult r = FusedLoss.forwardBackward(logitsHeap, data.shape.vocab, data.targetsHeap,
        data.offsetsHeap, data.coefficients, data.spec, gradHeap);
    last = r.stats();
    return r;
  }

  @Benchmark
  public SampleStats pointerForward() {
    return last = FusedLoss.forward(data.batch, data.spec);
  }

  @Benchmark
  public LossResult pointerForwardBackward() {
    LossResult r = FusedLoss.forwardBackward(data.batch, data.coefficients, data.spec, data.gradOut);
    last = r.stats();
    pointerGradient = true;
    return r;
  }

  /** Once per trial: the last call's losses (and the pointer path's gradient) as {@link Guard}. */
  @TearDown(Level.Trial)
  public void tearDown() {
    try {
      Guard.checkLosses(reference, last);
      if (pointerGradient) {
        Guard.checkGradient(data, reference);
      }
    } finally {
      data.close();
    }
  }
}
