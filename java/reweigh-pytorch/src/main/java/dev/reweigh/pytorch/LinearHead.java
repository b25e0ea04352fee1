package dev.reweigh.pytorch;

import dev.reweigh.LinearHeadShape;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The inputs of a fused linear + cross-entropy (docs/design.md §6): hidden states {@code [rows,
 * H]}, the LM head weight {@code [V, H]} and optional bias {@code [V]} (fp32, or bf16 throughout),
 * targets {@code [rows]} and sample offsets {@code [samples + 1]} (int64), all on one device.
 * Labels are copied to the host once (O(rows)): the per-row coefficients and the normaliser D
 * are known before the first chunk.
 */
public final class LinearHead extends LinearHeadShape {
  final Tensor hidden;
  final Tensor weight;
  final Tensor bias;
  final Tensor targets;
  final Tensor offsets;
  final ScalarType dtype;

  private LinearHead(Tensor hidden, Tensor weight, Tensor bias, Tensor targets, Tensor offsets) {
    super(hidden.size(1), weight.size(0), Tensors64.toLongs(targets), Tensors64.toLongs(offsets));
    this.hidden = hidden;
    this.weight = weight;
    this.bias = bias;
    this.targets = targets;
    this.offsets = offsets;
    this.dtype = TorchChecks.scalarType(weight);
  }

  /** {@code bias} may be null. */
  public static LinearHead of(
      Tensor hidden, Tensor weight, Tensor bias, Tensor targets, Tensor offsets) {
    check(hidden, weight, bias, targets, offsets);
    return new LinearHead(hidden, weight, bias, targets.reshape(-1).contiguous(),
        offsets.contiguous());
  }

  private static void check(
      Tensor hidden, Tensor weight, Tensor bias, Tensor targets, Tensor offsets) {
    TorchChecks.requireDefined(hidden, "hidden");
    TorchChecks.requireDefined(weight, "weight");
    if (hidden.dim() != 2 || weight.dim() != 2) {
      throw new IllegalArgumentException("hidden " + TorchChecks.shape(hidden) + " must be [rows, H]"
          + " and weight " + TorchChecks.shape(weight) + " [V, H]");
    }
    if (hidden.size(1) != weight.size(1)) {
      throw new IllegalArgumentException("hidden " + TorchChecks.shape(hidden) + " and weight "
          + TorchChecks.shape(weight) + " disagree on H");
    }
    ScalarType dtype = TorchChecks.scalarType(weight);
    if (dtype != ScalarType.Float && dtype != ScalarType.BFloat16) {
      throw new IllegalArgumentException("weight dtype " + dtype + " must be Float or BFloat16");
    }
    if (TorchChecks.scalarType(hidden) != dtype) {
      throw new IllegalArgumentException("hidden dtype " + TorchChecks.scalarType(hidden)
          + " must equal the weight dtype " + dtype);
    }
    dev.reweigh.Device device = TorchChecks.device(weight);
    TorchChecks.requireSameDevice(hidden, "hidden", device);
    if (bias != null) {
      TorchChecks.requireDefined(bias, "bias");
      if (bias.dim() != 1 || bias.size(0) != weight.size(0)) {
        throw new IllegalArgumentException("bias " + TorchChecks.shape(bias) + " must be [V] = ["
            + weight.size(0) + "]");
      }
      if (TorchChecks.scalarType(bias) != dtype) {
        throw new IllegalArgumentException("bias dtype " + TorchChecks.scalarType(bias)
            + " must equal the weight dtype " + dtype);
      }
      TorchChecks.requireSameDevice(bias, "bias", device);
    }
    TorchChecks.requireIndexTensor(targets, "targets", device);
    TorchChecks.requireIndexTensor(offsets, "offsets", device);
    if (targets.numel() != hidden.size(0)) {
      throw new IllegalArgumentException("targets has " + targets.numel() + " elements but hidden "
          + TorchChecks.shape(hidden) + " has " + hidden.size(0) + " rows");
    }
    if (offsets.dim() != 1 || offsets.numel() < 1) {
      throw new IllegalArgumentException("offsets must be 1-D with samples + 1 >= 1 entries, got "
          + TorchChecks.shape(offsets));
    }
  }
}
