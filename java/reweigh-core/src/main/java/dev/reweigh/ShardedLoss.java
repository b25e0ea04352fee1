package dev.reweigh;

import static dev.reweigh.internal.Status.check;

import dev.reweigh.internal.NativeLibrary;
import dev.reweigh.nativeapi.ReweighShardNative;
import java.lang.ref.Reference;

/**
 * The fused loss over vocabulary-sharded logits (docs/design.md §3 and §7): a shard holds logits
 * {@code [rows, Vshard]} for vocabulary {@code [vocabOffset, vocabOffset + Vshard)} of a
 * vocabulary of {@code vocabTotal}; its {@link NativeBatch} describes that slice ({@code vocab =
 * Vshard}) with the global targets and the offsets every shard shares.
 *
 * <pre>{@code
 * RowPartials p = ShardedLoss.partialForward(shard, offset, vocabTotal, spec);
 * ShardedLoss.combine(p, group);                 // MAX then SUM all-reduce over the ranks
 * LossResult r = ShardedLoss.stats(shard, vocabTotal, p, coefficients, spec);
 * ShardedLoss.backward(shard, offset, vocabTotal, p, coefficients, spec, NativeGrad.inPlace(shard));
 * }</pre>
 *
 * Vocabulary blocks of one buffer need no collective: {@link #merge} the blocks' partials.
 * Statistics and gradients equal {@link FusedLoss} on the whole rows up to the order of float32
 * additions. The {@link RowPartials} forms keep partials, coefficients and statistics in heap
 * arrays and take CPU batches; the {@link NativePartials} forms keep every array in the batch's
 * memory (device memory for a CUDA batch, combined with a {@link NativeAllReduce} or, for blocks
 * of one device, {@link #merge(NativePartials, NativePartials)}) and take CPU and CUDA batches.
 */
public final class ShardedLoss {
  private ShardedLoss() {}

  /** Per-row partials of one shard. */
  public static RowPartials partialForward(
      NativeBatch shard, long vocabOffset, long vocabTotal, LossSpec spec) {
    requireCpu(shard, spec);
    RowPartials p = RowPartials.allocate(rows(shard));
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighShardNative.reweigh_jni_partial_forward(shard.logits, shard.targets,
          shard.offsets, shard.nativeFields, spec.nativeFloats, spec.nativeInts, vocabOffset,
          vocabTotal, p.max, p.sumExp, p.entropySum, p.logitSum, p.targetLogit));
    } finally {
      Reference.reachabilityFence(shard);
    }
    return p;
  }

  /** {@code into = merge(into, from)} row by row: one vocabulary block added to the running rows. */
  public static void merge(RowPartials into, RowPartials from) {
    requireRows("into", into, -1);
    requireRows("from", from, into.rows());
    if (into == from) {
      throw new IllegalArgumentException("into and from are the same partials");
    }
    NativeLibrary.ensureLoaded();
    check(ReweighShardNative.reweigh_jni_partials_merge(into.rows(), from.max, from.sumExp,
        from.entropySum, from.logitSum, from.targetLogit, into.max, into.sumExp, into.entropySum,
        into.logitSum, into.targetLogit));
  }

  /**
   * Combines this shard's partials with every other participant's, in place: MAX all-reduce of
   * m, rebase of (d, s) to the global m, then one SUM all-reduce of d, s, the logit sum and the
   * target logit packed together. Every participant calls it with its own partials.
   */
  public static void combine(RowPartials partials, AllReduce group) {
    requireRows("partials", partials, -1);
    AdapterChecks.requireNonNull(group, "group");
    int n = partials.rows();
    float[] globalMax = partials.max.clone();
    group.maxInPlace(globalMax);
    NativeLibrary.ensureLoaded();
    check(ReweighShardNative.reweigh_jni_partials_rebase(n, globalMax, partials.max,
        partials.sumExp, partials.entropySum, partials.logitSum, partials.targetLogit));
    float[] packed = new float[Math.multiplyExact(4, n)];
    System.arraycopy(partials.sumExp, 0, packed, 0, n);
    System.arraycopy(partials.entropySum, 0, packed, n, n);
    System.arraycopy(partials.logitSum, 0, packed, 2 * n, n);
    System.arraycopy(partials.targetLogit, 0, packed, 3 * n, n);
    group.sumInPlace(packed);
    System.arraycopy(packed, 0, partials.sumExp, 0, n);
    System.arraycopy(packed, n, partials.entropySum, 0, n);
    System.arraycopy(packed, 2 * n, partials.logitSum, 0, n);
    System.arraycopy(packed, 3 * n, partials.targetLogit, 0, n);
  }

  /** Per-sample statistics (and per-row lse, logp, entropy) from combined partials. */
  public static SampleStats stats(
      NativeBatch shard, long vocabTotal, RowPartials combined, LossSpec spec) {
    return statsAndTotal(shard, vocabTotal, combined, null, spec).stats();
  }

  /** Statistics plus total = sum_s c_s loss_s / D from combined partials. */
  public static LossResult stats(NativeBatch shard, long vocabTotal, RowPartials combined,
      float[] coefficients, LossSpec spec) {
    AdapterChecks.requireNonNull(coefficients, "coefficients");
    return statsAndTotal(shard, vocabTotal, combined, coefficients, spec);
  }

  private static LossResult statsAndTotal(NativeBatch shard, long vocabTotal,
      RowPartials combined, float[] coefficients, LossSpec spec) {
    requireCpu(shard, spec);
    requireRows("combined", combined, shard.rows);
    checkCoefficients(coefficients, shard.samples);
    SampleStats st = SampleStats.allocate(samples(shard), rows(shard));
    double[] total = coefficients == null ? null : new double[1];
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighShardNative.reweigh_jni_sharded_stats(shard.logits, shard.targets,
          shard.offsets, shard.nativeFields, spec.nativeFloats, spec.nativeInts, vocabTotal,
          combined.max, combined.sumExp, combined.entropySum, combined.logitSum,
          combined.targetLogit, coefficients, st.lossArray(), st.logProbSumArray(),
          st.tokenCountArray(), st.meanEntropyArray(), st.rowLseArray(), st.rowLogpArray(),
          st.rowEntropyArray(), total));
    } finally {
      Reference.reachabilityFence(shard);
    }
    return new LossResult(total == null ? 0.0 : total[0], LossResult.normalizerOf(spec, st,
        coefficients == null ? ones(st.samples()) : coefficients), st);
  }

  /** This shard's slice of d total / d logits, from combined partials (grad may be in place). */
  public static void backward(NativeBatch shard, long vocabOffset, long vocabTotal,
      RowPartials combined, float[] coefficients, LossSpec spec, NativeGrad grad) {
    requireCpu(shard, spec);
    requireRows("combined", combined, shard.rows);
    AdapterChecks.requireNonNull(coefficients, "coefficients");
    checkCoefficients(coefficients, shard.samples);
    AdapterChecks.requireNonNull(grad, "grad");
    grad.check(shard);
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighShardNative.reweigh_jni_sharded_backward(shard.logits, shard.targets,
          shard.offsets, shard.nativeFields, spec.nativeFloats, spec.nativeInts, vocabOffset,
          vocabTotal, combined.max, combined.sumExp, combined.entropySum, combined.logitSum,
          combined.targetLogit, coefficients, grad.address, grad.rowStride));
    } finally {
      Reference.reachabilityFence(shard);
      Reference.reachabilityFence(grad);
    }
  }

  /**
   * This batch's own normaliser D under {@code spec.normalization()} (0 for an empty
   * micro-batch). {@code coefficients} may be null (all 1) and is read only under WEIGHT_SUM.
   */
  public static double localNormalizer(
      NativeBatch batch, long vocabTotal, float[] coefficients, LossSpec spec) {
    requireCpu(batch, spec);
    checkCoefficients(coefficients, batch.samples);
    double[] d = new double[1];
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighShardNative.reweigh_jni_normalizer(batch.logits, batch.targets, batch.offsets,
          batch.nativeFields, spec.nativeFloats, spec.nativeInts, vocabTotal, coefficients, d));
    } finally {
      Reference.reachabilityFence(batch);
    }
    return d[0];
  }

  // ---- partials in native memory (CPU or CUDA) ----------------------------------------------

  /**
   * The shard's partials into {@code out} ({@link NativePartials}: the batch's rows, memory space
   * and stream), so a CUDA shard's partials stay in device memory.
   */
  public static void partialForward(NativeBatch shard, long vocabOffset, long vocabTotal,
      LossSpec spec, NativePartials out) {
    FusedLoss.requireBatch(shard, spec);
    requirePartials("out", out, shard);
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighShardNative.reweigh_jni_packed_partial_forward(shard.logits,
          shard.targets, shard.offsets, shard.nativeFields,
          spec.nativeFloats, spec.nativeInts, vocabOffset, vocabTotal, out.address));
    } finally {
      Reference.reachabilityFence(shard);
    }
  }

  /**
   * {@code into = merge(into, from)} row by row in their memory space (vocabulary blocks of one
   * device): both partials on the same device and stream, with the same rows.
   */
  public static void merge(NativePartials into, NativePartials from) {
    AdapterChecks.requireNonNull(into, "into");
    AdapterChecks.requireNonNull(from, "from");
    if (from.rows != into.rows) {
      throw new IllegalArgumentException(
          "from has " + from.rows + " rows but into has " + into.rows);
    }
    from.requireSamePlace("from", into.device, into.stream, "into");
    if (into.address == from.address && into.rows > 0) {
      throw new IllegalArgumentException("into and from are the same partials");
    }
    NativeLibrary.ensureLoaded();
    check(ReweighShardNative.reweigh_jni_packed_partials_merge_on(
        into.device.kind().code, into.device.index(), into.stream, into.rows, from.address,
        into.address));
  }

  /**
   * Combines this participant's partials with every other's through {@code group} (ranks holding
   * vocabulary shards): MAX of the maxima into the work row, the rebase to it on the partials'
   * device, then one SUM over the four sum rows. Every participant calls it with the same rows.
   */
  public static void combine(NativePartials partials, NativeAllReduce group) {
    AdapterChecks.requireNonNull(partials, "partials");
    AdapterChecks.requireNonNull(group, "group");
    long n = partials.rows;
    group.maxInto(partials.device, partials.stream, partials.address,
        partials.globalMaxAddress(), n);
    NativeLibrary.ensureLoaded();
    check(ReweighShardNative.reweigh_jni_packed_partials_rebase_on(
        partials.device.kind().code, partials.device.index(), partials.stream, n,
        partials.address));
    group.sumInPlace(partials.device, partials.stream, partials.sumsAddress(),
        Math.multiplyExact(4, n));
  }

  /**
   * Statistics from combined partials into {@code out}, with native coefficients ({@code samples}
   * float32; 0 for none) and total (one float64; 0 if not wanted), all in the batch's memory.
   */
  public static void stats(NativeBatch shard, long vocabTotal, NativePartials combined,
      long coefficientsAddress, LossSpec spec, NativeStats out, long totalAddress) {
    FusedLoss.requireBatch(shard, spec);
    requirePartials("combined", combined, shard);
    AdapterChecks.requireNonNull(out, "out");
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighShardNative.reweigh_jni_packed_sharded_stats(shard.logits,
          shard.targets, shard.offsets, shard.nativeFields,
          spec.nativeFloats, spec.nativeInts, vocabTotal, combined.address, coefficientsAddress,
          out.loss, out.logProbSum, out.tokenCount, out.meanEntropy, out.rowLse, out.rowLogp,
          out.rowEntropy, totalAddress));
    } finally {
      Reference.reachabilityFence(shard);
    }
  }

  /**
   * This shard's slice of the gradient from combined native partials and native coefficients
   * ({@code samples} float32), all in the batch's memory space.
   */
  public static void backward(NativeBatch shard, long vocabOffset, long vocabTotal,
      NativePartials combined, long coefficientsAddress, LossSpec spec, NativeGrad grad) {
    FusedLoss.requireBatch(shard, spec);
    requirePartials("combined", combined, shard);
    if (coefficientsAddress == 0 && shard.samples > 0) {
      throw new IllegalArgumentException("coefficients address is 0");
    }
    AdapterChecks.requireNonNull(grad, "grad");
    grad.check(shard);
    NativeLibrary.ensureLoaded();
    try {
      check(ReweighShardNative.reweigh_jni_packed_sharded_backward(shard.logits,
          shard.targets, shard.offsets, shard.nativeFields,
          spec.nativeFloats, spec.nativeInts, vocabOffset, vocabTotal, combined.address,
          coefficientsAddress, grad.address, grad.rowStride));
    } finally {
      Reference.reachabilityFence(shard);
      Reference.reachabilityFence(grad);
    }
  }

  // ---- argument checks --------------------------------------------------------------------

  private static void requireCpu(NativeBatch batch, LossSpec spec) {
    FusedLoss.requireBatch(batch, spec);
    if (batch.device.isCuda()) {
      throw new UnsupportedOperationException("batch lives on " + batch.device
          + ": heap partials serve CPU batches; a CUDA batch takes NativePartials");
    }
  }

  private static void requirePartials(String name, NativePartials p, NativeBatch batch) {
    AdapterChecks.requireNonNull(p, name);
    p.requireMatches(name, batch);
  }

  private static void requireRows(String name, RowPartials p, long rows) {
    AdapterChecks.requireNonNull(p, name);
    if (rows >= 0 && p.rows() != rows) {
      throw new IllegalArgumentException(
          name + " has " + p.rows() + " rows but " + rows + " are needed");
    }
  }

  private static void checkCoefficients(float[] coefficients, long samples) {
    if (coefficients != null && coefficients.length != samples) {
      throw new IllegalArgumentException("coefficients has " + coefficients.length
          + " entries but the batch has " + samples + " samples");
    }
  }

  private static int rows(NativeBatch b) {
    if (b.rows > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("rows = " + b.rows + " is too large for heap partials");
    }
    return (int) b.rows;
  }

  private static int samples(NativeBatch b) {
    if (b.samples > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("samples = " + b.samples + " is too large for heap results");
    }
    return (int) b.samples;
  }

  private static float[] ones(int n) {
    float[] c = new float[n];
    java.util.Arrays.fill(c, 1f);
    return c;
  }
}
