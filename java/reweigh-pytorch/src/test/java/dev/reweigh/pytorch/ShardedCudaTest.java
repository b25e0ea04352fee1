package dev.reweigh.pytorch;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.reweigh.DType;
import dev.reweigh.Device;
import dev.reweigh.FusedLoss;
import dev.reweigh.IndexType;
import dev.reweigh.LossResult;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeBatch;
import dev.reweigh.NativeGrad;
import dev.reweigh.NativePartials;
import dev.reweigh.NativeStats;
import dev.reweigh.ShardedLoss;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/**
 * {@link ShardedLoss} on a CUDA batch with {@link NativePartials}: three uneven vocabulary blocks
 * of one device's logits, partials merged on the device, statistics and every block's gradient
 * in device memory, against {@link FusedLoss} on a host copy of the same logits. Runs where
 * libtorch sees a CUDA device and is skipped otherwise (native/scripts/gpu-check.sh runs it).
 */
class ShardedCudaTest {

  @Test
  void blocksOnOneDeviceReproduceTheHostKernel() {
    assumeTrue(torch.cuda_is_available(), "no CUDA device");
    int rows = 37;
    int vocab = 1000;
    long[] bounds = {0, 211, 640, 1000};
    Random rnd = new Random(17);
    float[] logits = new float[rows * vocab];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) (3 * rnd.nextGaussian());
    }
    long[] targets = new long[rows];
    for (int r = 0; r < rows; r++) {
      targets[r] = r % 9 == 4 ? -100 : rnd.nextInt(vocab);
    }
    long[] offsets = {0, 10, 11, 30, 37};
    float[] coefficients = {1.0f, -0.5f, 2.0f, 0.25f};
    int samples = coefficients.length;
    LossSpec spec = LossSpec.builder().labelSmoothing(0.1f).zLoss(1e-3f).build();

    float[] gradHost = new float[logits.length];
    int[] t32 = new int[rows];
    int[] o32 = new int[offsets.length];
    for (int r = 0; r < rows; r++) {
      t32[r] = (int) targets[r];
    }
    for (int s = 0; s < o32.length; s++) {
      o32[s] = (int) offsets[s];
    }
    LossResult host =
        FusedLoss.forwardBackward(logits, vocab, t32, o32, coefficients, spec, gradHost);

    Device cuda = Device.cuda(0);
    TensorOptions f32 = new TensorOptions(ScalarType.Float);
    Tensor z = Tensors.floats(logits, rows, vocab).cuda();
    Tensor y = Tensors.longs(targets, rows).cuda();
    Tensor o = Tensors.longs(offsets, offsets.length).cuda();
    Tensor c = Tensors.floats(coefficients, samples).cuda();
    Tensor grad = torch.zeros_like(z);
    Tensor partials = z.new_zeros(new long[] {3, 6 * rows}, f32);
    Tensor loss = z.new_zeros(new long[] {samples}, f32);
    Tensor rowLse = z.new_zeros(new long[] {rows}, f32);
    Tensor total = z.new_zeros(new long[] {1}, new TensorOptions(ScalarType.Double));
    long stream = CudaStreams.currentStream(0);

    NativePartials[] p = new NativePartials[3];
    NativeBatch[] shard = new NativeBatch[3];
    for (int k = 0; k < 3; k++) {
      shard[k] = NativeBatch.builder()
          .logits(TorchChecks.address(z) + bounds[k] * Float.BYTES, DType.F32, rows,
              bounds[k + 1] - bounds[k])
          .rowStride(vocab).targets(TorchChecks.address(y), IndexType.I64)
          .offsets(TorchChecks.address(o), IndexType.I64, samples).device(cuda).stream(stream)
          .build();
      p[k] = NativePartials.packed(cuda, stream, rows,
          TorchChecks.address(partials) + (long) k * NativePartials.bytes(rows));
      ShardedLoss.partialForward(shard[k], bounds[k], vocab, spec, p[k]);
    }
    ShardedLoss.merge(p[0], p[1]);
    ShardedLoss.merge(p[0], p[2]);
    NativeStats out = NativeStats.builder().loss(TorchChecks.address(loss))
        .rowLse(TorchChecks.address(rowLse)).build();
    ShardedLoss.stats(shard[0], vocab, p[0], TorchChecks.address(c), spec, out,
        TorchChecks.address(total));
    for (int k = 0; k < 3; k++) {
      ShardedLoss.backward(shard[k], bounds[k], vocab, p[0], TorchChecks.address(c), spec,
          NativeGrad.ofAddress(TorchChecks.address(grad) + bounds[k] * Float.BYTES, vocab));
    }

    double[] hostLse = new double[rows];
    for (int r = 0; r < rows; r++) {
      hostLse[r] = host.stats().rowLse()[r];
    }
    double[] g = new double[gradHost.length];
    for (int i = 0; i < g.length; i++) {
      g[i] = gradHost[i];
    }
    close("loss", host.stats().losses(), Tensors64.toFloats(loss.cpu()), 1e-5);
    close("rowLse", hostLse, Tensors64.toFloats(rowLse.cpu()), 1e-5);
    close("total", new double[] {host.total()}, Tensors64.toFloats(total), 1e-5);
    close("grad", g, Tensors64.toFloats(grad.cpu().reshape(new long[] {-1})), 1e-5);
  }

  /** |a - e| <= tol * (1 + |e|) element by element; the first offender is named. */
  private static void close(String what, double[] expected, float[] actual, double tol) {
    assertTrue(expected.length == actual.length, what + ": " + actual.length + " values, "
        + expected.length + " expected");
    for (int i = 0; i < expected.length; i++) {
      double e = expected[i];
      assertTrue(Math.abs(actual[i] - e) <= tol * (1 + Math.abs(e)),
          what + "[" + i + "] = " + actual[i] + ", expected " + e);
    }
  }
}
