package dev.reweigh.pytorch;

import java.lang.reflect.Method;
import org.bytedeco.javacpp.Pointer;

/**
 * The raw {@code cudaStream_t} of libtorch's current CUDA stream, so the kernels run in order with
 * the trainer's own work: {@code torch_cuda.getCurrentCUDAStream(device).stream()}
 * (docs/toolchain.md §3).
 *
 * <p>Called only for CUDA tensors, through reflection: {@code CUDAStream.stream()} returns a type
 * of the {@code org.bytedeco:cuda} presets, which CPU-only builds do not carry, and loading {@code
 * torch_cuda} needs the {@code -gpu} natives. Not exercised by this repository's tests (no GPU).
 */
final class CudaStreams {
  private CudaStreams() {}

  static long currentStream(int deviceIndex) {
    try {
      Class<?> torchCuda = Class.forName("org.bytedeco.pytorch.global.torch_cuda");
      Method current = torchCuda.getMethod("getCurrentCUDAStream", byte.class);
      Object cudaStream = current.invoke(null, (byte) deviceIndex);
      Object raw = cudaStream.getClass().getMethod("stream").invoke(cudaStream);
      return raw == null ? 0L : ((Pointer) raw).address();
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new IllegalStateException("logits are on cuda:" + deviceIndex
          + " but libtorch's current CUDA stream is not reachable: put the PyTorch presets' -gpu"
          + " natives and org.bytedeco:cuda on the classpath (" + e + ")", e);
    }
  }
}
