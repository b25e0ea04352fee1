package dev.reweigh.demo.train;

import org.bytedeco.pytorch.Tensor;

/** Copies small CPU tensors to the heap. */
final class Tensors {
  private Tensors() {}

  static float[] floats(Tensor t) {
    Tensor c = t.contiguous();
    float[] out = new float[(int) c.numel()];
    if (out.length > 0) {
      c.data_ptr_float().get(out);
    }
    return out;
  }

  static long[] longs(Tensor t) {
    Tensor c = t.contiguous();
    long[] out = new long[(int) c.numel()];
    if (out.length > 0) {
      c.data_ptr_long().get(out);
    }
    return out;
  }
}
