package dev.reweigh.crosscheck;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Heap arrays to owned CPU tensors and back (test plumbing, not under test). */
final class T {
  private T() {}

  static final Device CPU = new Device("cpu");

  static Tensor floats(float[] data, long... shape) {
    if (data.length == 0) {
      return torch.zeros(shape, new TensorOptions(ScalarType.Float));
    }
    try (FloatPointer p = new FloatPointer(data)) {
      return torch.from_blob(p, shape, new TensorOptions(ScalarType.Float)).clone();
    }
  }

  static Tensor doubles(double[] data, long... shape) {
    if (data.length == 0) {
      return torch.zeros(shape, new TensorOptions(ScalarType.Double));
    }
    try (DoublePointer p = new DoublePointer(data)) {
      return torch.from_blob(p, shape, new TensorOptions(ScalarType.Double)).clone();
    }
  }

  static Tensor longs(long[] data, long... shape) {
    if (data.length == 0) {
      return torch.zeros(shape, new TensorOptions(ScalarType.Long));
    }
    try (LongPointer p = new LongPointer(data)) {
      return torch.from_blob(p, shape, new TensorOptions(ScalarType.Long)).clone();
    }
  }

  static double[] toDoubles(Tensor t) {
    Tensor c = t.to(CPU, ScalarType.Double).contiguous();
    double[] out = new double[(int) c.numel()];
    if (out.length > 0) {
      new DoublePointer(c.data_ptr()).get(out);
    }
    return out;
  }

  static double[] toDoubles(float[] f) {
    double[] out = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = f[i];
    }
    return out;
  }

  static double[] toDoubles(long[] f) {
    double[] out = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = f[i];
    }
    return out;
  }

  static double maxAbs(double[] v) {
    double m = 0;
    for (double x : v) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }
}
