package dev.reweigh.pytorch;

import java.util.SplittableRandom;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Test helpers: heap arrays to owned CPU tensors and back. */
final class Tensors {
  private Tensors() {}

  static Tensor floats(float[] data, long... shape) {
    try (FloatPointer p = new FloatPointer(data)) {
      return torch.from_blob(p, shape, new TensorOptions(ScalarType.Float)).clone();
    }
  }

  static Tensor longs(long[] data, long... shape) {
    try (LongPointer p = new LongPointer(data)) {
      return torch.from_blob(p, shape, new TensorOptions(ScalarType.Long)).clone();
    }
  }

  static Tensor ints(int[] data, long... shape) {
    try (IntPointer p = new IntPointer(data)) {
      return torch.from_blob(p, shape, new TensorOptions(ScalarType.Int)).clone();
    }
  }

  /** Any tensor's values, in C order of its logical shape, as floats. */
  static float[] toFloats(Tensor t) {
    Tensor c = t.to(new Device("cpu"), ScalarType.Float).contiguous();
    float[] out = new float[(int) c.numel()];
    if (out.length > 0) {
      new FloatPointer(c.data_ptr()).get(out);
    }
    return out;
  }

  static double[] toDoubles(Tensor t) {
    Tensor c = t.to(new Device("cpu"), ScalarType.Double).contiguous();
    double[] out = new double[(int) c.numel()];
    if (out.length > 0) {
      new DoublePointer(c.data_ptr()).get(out);
    }
    return out;
  }

  static long[] toLongs(Tensor t) {
    Tensor c = t.to(new Device("cpu"), ScalarType.Long).contiguous();
    long[] out = new long[(int) c.numel()];
    if (out.length > 0) {
      new LongPointer(c.data_ptr()).get(out);
    }
    return out;
  }

  static float[] randomLogits(SplittableRandom rnd, int n, double scale) {
    float[] z = new float[n];
    for (int i = 0; i < n; i++) {
      z[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
    }
    return z;
  }

  static int[] toInts(long[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.toIntExact(v[i]);
    }
    return out;
  }
}
