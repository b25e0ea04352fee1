package dev.reweigh;

/**
 * The per-row arrays of {@link PolicyLoss#forwardBackward(NativeBatch, LossSpec, PolicySpec,
 * NativePolicyBuffers, NativeGrad)} by address, in the batch's memory space (for CUDA batches:
 * device memory). Inputs are {@code rows} float32 values: {@code oldLogp} and {@code advantages}
 * (CLIPPED; 0 for DFT), {@code refLogp} (when the KL coefficient is > 0, else 0) and {@code
 * entropyWeights} (0: no entropy term). Outputs may be 0 when not wanted: {@code rowLogp}, {@code
 * rowEntropy}, {@code rowWeights} ({@code rows} float32), {@code rowClipped} ({@code rows} int8:
 * -1 clipped below, +1 above, 0 not clipped), {@code objective} (one float64) and {@code
 * clipCounts} (two int64: below, above).
 */
public record NativePolicyBuffers(long oldLogp, long advantages, long refLogp,
    long entropyWeights, long rowLogp, long rowEntropy, long rowWeights, long rowClipped,
    long objective, long clipCounts) {}
