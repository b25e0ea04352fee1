package dev.reweigh.pytorch;

import dev.reweigh.AdapterBatch;
import dev.reweigh.AdapterChecks;
import dev.reweigh.DType;
import dev.reweigh.Device;
import dev.reweigh.IndexType;
import dev.reweigh.NativeBatch;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Logits, targets and sample offsets held in libtorch tensors, described for the fused kernels
 * without copying the logits (docs/design.md §3: row r predicts {@code targets[r]}, sample s owns
 * rows {@code [offsets[s], offsets[s+1])}).
 *
 * <p>Accepted layouts:
 *
 * <ul>
 *   <li>logits {@code [rows, V]} or {@code [B, T, V]} (rows = B*T), float32 or bfloat16 (float16
 *       on CUDA only), unit stride along V; rows may be strided (a {@code narrow} over V of a
 *       wider tensor, every other row of a larger one), but for {@code [B, T, V]} the B stride must
 *       equal T times the T stride so that the rows form one arithmetic sequence;
 *   <li>targets int64, contiguous, {@code [rows]} or {@code [B, T]};
 *   <li>offsets int64, contiguous, {@code [samples + 1]}; or none: {@link #padded} puts sample b
 *       on rows {@code b*T .. b*T+T-1}.
 * </ul>
 *
 * <p>Anything else (a transposed or expanded logits tensor, float64 logits, int32 targets,
 * tensors on different devices) is an {@link IllegalArgumentException} naming the argument:
 * nothing is ever read through a layout the kernels do not understand. All tensors must stay
 * alive and unmodified in shape while the batch is used ({@link AdapterBatch}).
 *
 * <p>CUDA tensors: the batch records libtorch's current CUDA stream of the logits' device when
 * it is built, and every call on it runs on that stream; build the batch where the trainer's
 * stream is current. This path is compiled in every build; no test here runs it on a GPU.
 */
public final class TorchBatch extends AdapterBatch<Tensor> {

  private TorchBatch(Tensor logits, Tensor targets, Tensor offsets) {
    super(logits, targets, offsets, describe(logits, targets, offsets));
  }

  private static NativeBatch describe(Tensor logits, Tensor targets, Tensor offsets) {
    DType dtype = TorchChecks.logitsDType(logits);
    long vocab = logits.size(logits.dim() - 1);
    long rows = TorchChecks.rows(logits);
    long rowStride = TorchChecks.rowStride(logits, "logits");
    Device device = TorchChecks.device(logits);
    TorchChecks.requireIndexTensor(targets, "targets", device);
    AdapterChecks.requireTargetPerRow(TorchChecks.shapeOf(targets), TorchChecks.shapeOf(logits));
    if (logits.dim() == 3 && targets.dim() == 2
        && (targets.size(0) != logits.size(0) || targets.size(1) != logits.size(1))) {
      throw new IllegalArgumentException("targets " + TorchChecks.shape(targets)
          + " does not match logits " + TorchChecks.shape(logits) + " in [B, T]");
    }
    TorchChecks.requireIndexTensor(offsets, "offsets", device);
    if (offsets.dim() != 1 || offsets.numel() < 1) {
      throw new IllegalArgumentException("offsets must be 1-D with samples + 1 >= 1 entries, got "
          + TorchChecks.shape(offsets));
    }
    long samples = offsets.numel() - 1;
    NativeBatch.Builder b = NativeBatch.builder()
        .logits(TorchChecks.address(logits), dtype, rows, vocab)
        .rowStride(rowStride)
        .targets(TorchChecks.address(targets), IndexType.I64)
        .offsets(TorchChecks.address(offsets), IndexType.I64, samples)
        .device(device);
    if (device.isCuda()) {
      b.stream(CudaStreams.currentStream(device.index()));
    }
    return b.build();
  }

  /**
   * Packed batch: logits {@code [rows, V]} (or {@code [B, T, V]}), targets with one entry per row,
   * offsets {@code [samples + 1]} (int64, on the logits' device, non-decreasing from 0 to rows).
   */
  public static TorchBatch of(Tensor logits, Tensor targets, Tensor offsets) {
    TorchChecks.requireLogits(logits);
    TorchChecks.requireDefined(targets, "targets");
    TorchChecks.requireDefined(offsets, "offsets");
    return new TorchBatch(logits, targets, offsets);
  }

  /** Padded batch: logits {@code [B, T, V]}, targets {@code [B, T]}; sample b = sequence b. */
  public static TorchBatch padded(Tensor logits, Tensor targets) {
    TorchChecks.requireLogits(logits);
    TorchChecks.requireDefined(targets, "targets");
    AdapterChecks.requireSequenceLogits(TorchChecks.shapeOf(logits), "padded",
        ": use TorchBatch.of with offsets for [rows, V]");
    return new TorchBatch(logits, targets, paddedOffsets(logits));
  }

  /**
   * Causal-LM batch from logits {@code [B, T, V]} and the input tokens {@code [B, T]}: row (b, t)
   * predicts token (b, t+1), the last position of each sequence is ignored, sample b = sequence b.
   * The logits are not copied or sliced; only a shifted int64 target tensor of B*T entries is
   * built (tokens already equal to {@code ignoreIndex}, e.g. masked prompt or padding, stay
   * ignored).
   */
  public static TorchBatch causal(Tensor logits, Tensor tokens, long ignoreIndex) {
    TorchChecks.requireLogits(logits);
    TorchChecks.requireDefined(tokens, "tokens");
    AdapterChecks.requireSequenceLogits(TorchChecks.shapeOf(logits), "causal", "");
    TorchChecks.requireIndexTensor(tokens, "tokens", TorchChecks.device(logits));
    long b = logits.size(0);
    long t = logits.size(1);
    AdapterChecks.requireTokensMatch(TorchChecks.shapeOf(tokens), TorchChecks.shapeOf(logits));
    Tensor shifted = tokens.new_full(new long[] {b, t}, new Scalar(ignoreIndex));
    if (t > 1) {
      shifted.narrow(1, 0, t - 1).copy_(tokens.narrow(1, 1, t - 1));
    }
    return new TorchBatch(logits, shifted, paddedOffsets(logits));
  }

  private static Tensor paddedOffsets(Tensor logits) {
    long b = logits.size(0);
    long t = logits.size(1);
    TensorOptions longs = new TensorOptions(ScalarType.Long).device(
        new org.bytedeco.pytorch.DeviceOptional(logits.device()));
    // arange(0, B*T + 1, T) = [0, T, 2T, ..., B*T]; T = 0 gives B + 1 zeros.
    if (t == 0) {
      return torch.zeros(new long[] {b + 1}, longs);
    }
    return torch.arange(new Scalar(0L), new Scalar(b * t + 1), new Scalar(t), longs);
  }
}
