package dev.reweigh.bench;

import dev.reweigh.DType;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeBatch;
import dev.reweigh.NativeGrad;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * One benchmark batch in native memory (JavaCPP pointers, the realistic path for big logits): fp32
 * or bf16 logits [rows x vocab], int32 targets, padded samples of {@link #ROWS_PER_SAMPLE} rows,
 * positive coefficients, and an optional separate gradient buffer of the same size.
 *
 * <p>Logits are N(0, 2^2)-like values with the target logit raised by 4 (a model that is partly
 * right), generated once into a 1 Mi-float pool and copied row by row at a per-row rotation, so
 * filling 131 M logits costs a memcpy, not 131 M random draws. The kernels' cost does not depend
 * on the values (one exp per logit, no data-dependent branches).
 */
final class BenchData implements AutoCloseable {
  /** Rows per sample: a padded [B, T] batch with T = 512, or one sample when rows < 512. */
  static final int ROWS_PER_SAMPLE = 512;

  private static final int POOL = 1 << 20;

  final Shape shape;
  final DType dtype;
  final int samples;
  final Pointer logits;
  final Pointer grad;
  final IntPointer targets;
  final IntPointer offsets;
  final int[] targetsHeap;
  final int[] offsetsHeap;
  final float[] coefficients;
  final NativeBatch batch;
  final NativeGrad gradOut;
  final LossSpec spec = LossSpec.builder().build();

  private BenchData(Shape shape, DType dtype, boolean withGrad) {
    this.shape = shape;
    this.dtype = dtype;
    long n = shape.elements();
    this.samples = Math.max(1, shape.rows / ROWS_PER_SAMPLE);
    SplittableRandom rnd = new SplittableRandom(42);
    targetsHeap = new int[shape.rows];
    for (int r = 0; r < shape.rows; r++) {
      targetsHeap[r] = rnd.nextInt(shape.vocab);
    }
    offsetsHeap = new int[samples + 1];
    for (int s = 0; s <= samples; s++) {
      offsetsHeap[s] = (int) ((long) s * shape.rows / samples);
    }
    coefficients = new float[samples];
    for (int s = 0; s < samples; s++) {
      coefficients[s] = 0.5f + (float) rnd.nextDouble();
    }
    targets = new IntPointer(targetsHeap);
    offsets = new IntPointer(offsetsHeap);

    float[] pool = new float[POOL];
    for (int i = 0; i < POOL; i++) {
      pool[i] = (float) (2.0 * rnd.nextGaussian());
    }
    NativeBatch.Builder b;
    if (dtype == DType.F32) {
      FloatPointer p = new FloatPointer(n);
      fillF32(p, pool, shape, targetsHeap, rnd);
      logits = p;
      b = NativeBatch.builder().logits(p, shape.rows, shape.vocab);
      grad = withGrad ? new FloatPointer(n) : null;
    } else if (dtype == DType.BF16) {
      short[] bpool = new short[POOL];
      for (int i = 0; i < POOL; i++) {
        bpool[i] = toBf16(pool[i]);
      }
      ShortPointer p = new ShortPointer(n);
      fillBf16(p, bpool, shape, targetsHeap, rnd);
      logits = p;
      b = NativeBatch.builder().logitsBf16(p, shape.rows, shape.vocab);
      grad = withGrad ? new ShortPointer(n) : null;
    } else {
      throw new IllegalArgumentException("dtype " + dtype + " is not benchmarked on the CPU");
    }
    batch = b.targets(targets).offsets(offsets, samples).build();
    gradOut = grad instanceof FloatPointer fp ? NativeGrad.of(fp, shape.vocab)
        : grad instanceof ShortPointer bp ? NativeGrad.of(bp, shape.vocab) : null;
    if (grad != null) {
      // Fault the pages in now, so no measured call pays the first touch.
      Pointer.memset(grad, 0, n * elementSize());
    }
  }

  static BenchData create(String shape, String dtype, boolean withGrad) {
    return new BenchData(Shape.parse(shape), dtype(dtype), withGrad);
  }

  static DType dtype(String name) {
    switch (name) {
      case "f32":
        return DType.F32;
      case "bf16":
        return DType.BF16;
      default:
        throw new IllegalArgumentException("dtype must be f32 or bf16, got " + name);
    }
  }

  int elementSize() {
    return dtype == DType.F32 ? 4 : 2;
  }

  /** Bytes of the logits: the byte model's unit (forward reads it once, the gradient ops twice). */
  long logitBytes() {
    return shape.elements() * elementSize();
  }

  /** int64 copy of the targets (libtorch wants Long). */
  LongPointer targetsI64() {
    long[] t = new long[shape.rows];
    for (int r = 0; r < t.length; r++) {
      t[r] = targetsHeap[r];
    }
    return new LongPointer(t);
  }

  /** Stores one filled row: lifts the target logit and writes the row at its offset. */
  private interface RowSink {
    void put(int row, int target);
  }

  /**
   * Copies the pool into a row array at a per-row random rotation, then hands it to the sink.
   * pool and row are arrays of the same element type (float[] or short[]).
   */
  private static void fill(Object pool, Object row, Shape s, int[] targets, SplittableRandom rnd,
      RowSink sink) {
    for (int r = 0; r < s.rows; r++) {
      int start = rnd.nextInt(POOL);
      for (int v = 0; v < s.vocab; ) {
        int take = Math.min(s.vocab - v, POOL - start);
        System.arraycopy(pool, start, row, v, take);
        v += take;
        start = 0;
      }
      sink.put(r, targets[r]);
    }
  }

  private static void fillF32(FloatPointer p, float[] pool, Shape s, int[] targets,
      SplittableRandom rnd) {
    float[] row = new float[s.vocab];
    fill(pool, row, s, targets, rnd, (r, y) -> {
      row[y] += 4f;
      p.position((long) r * s.vocab).put(row, 0, s.vocab);
    });
    p.position(0);
  }

  private static void fillBf16(ShortPointer p, short[] pool, Shape s, int[] targets,
      SplittableRandom rnd) {
    short[] row = new short[s.vocab];
    fill(pool, row, s, targets, rnd, (r, y) -> {
      row[y] = toBf16(fromBf16(row[y]) + 4f);
      p.position((long) r * s.vocab).put(row, 0, s.vocab);
    });
    p.position(0);
  }

  /** Round to nearest even, as torch does (finite inputs only here). */
  static short toBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  static float fromBf16(short b) {
    return Float.intBitsToFloat((b & 0xFFFF) << 16);
  }

  @Override
  public void close() {
    logits.close();
    if (grad != null) {
      grad.close();
    }
    targets.close();
    offsets.close();
  }

  /** rows x vocab, written as in the @Param strings ("4096x32000"). */
  static final class Shape {
    final int rows;
    final int vocab;

    Shape(int rows, int vocab) {
      this.rows = rows;
      this.vocab = vocab;
    }

    static Shape parse(String s) {
      int x = s.indexOf('x');
      if (x < 0) {
        throw new IllegalArgumentException("shape must be ROWSxVOCAB, got " + s);
      }
      return new Shape(Integer.parseInt(s.substring(0, x)), Integer.parseInt(s.substring(x + 1)));
    }

    long elements() {
      return (long) rows * vocab;
    }

    @Override
    public String toString() {
      return rows + "x" + vocab;
    }
  }
}
