package dev.reweigh.pytorch;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Small host copies of index and statistic tensors (O(rows) or O(samples)). */
final class Tensors64 {
  private Tensors64() {}

  static long[] toLongs(Tensor t) {
    Tensor c = (t.is_cuda() ? t.cpu() : t).to(ScalarType.Long).contiguous();
    long[] out = new long[(int) c.numel()];
    if (out.length > 0) {
      new LongPointer(c.data_ptr()).get(out);
    }
    return out;
  }

  static float[] toFloats(Tensor t) {
    Tensor c = (t.is_cuda() ? t.cpu() : t).to(ScalarType.Float).contiguous();
    float[] out = new float[(int) c.numel()];
    if (out.length > 0) {
      new org.bytedeco.javacpp.FloatPointer(c.data_ptr()).get(out);
    }
    return out;
  }
}
