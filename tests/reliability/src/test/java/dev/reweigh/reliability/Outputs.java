package dev.reweigh.reliability;

import dev.reweigh.FusedLoss;
import dev.reweigh.LossResult;
import dev.reweigh.NativeBatch;
import dev.reweigh.NativeGrad;
import dev.reweigh.SampleStats;
import dev.reweigh.testkit.Bf16;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * Every output of every entry point for one problem: heap fp32 forward / forwardBackward /
 * backward, heap bf16 forwardBackward, and the pointer API's forwardBackward (in place over a
 * private copy of the logits). Compared bit for bit by the concurrency and determinism suites.
 */
final class Outputs {
  final double[] losses;
  final double[] logProbSums;
  final double[] meanEntropies;
  final float[] rowLse;
  final float[] rowLogp;
  final float[] rowEntropy;
  final float[] grad;
  final double total;
  final float[] gradBackward;
  final short[] gradBf16;
  final double totalBf16;
  final float[] gradPointer;
  final double totalPointer;

  /** Runs every entry point once, on the calling thread, with private outputs. */
  Outputs(Problems p) {
    SampleStats fwd = FusedLoss.forward(p.logits, p.vocab, p.targets, p.offsets, p.spec);
    losses = fwd.losses();
    logProbSums = fwd.logProbSums();
    meanEntropies = fwd.meanEntropies();
    rowLse = fwd.rowLse().clone();
    rowLogp = fwd.rowLogp().clone();
    rowEntropy = fwd.rowEntropy().clone();
    grad = new float[p.logits.length];
    LossResult r = FusedLoss.forwardBackward(p.logits, p.vocab, p.targets, p.offsets,
        p.coefficients, p.spec, grad);
    total = r.total();
    if (!Arrays.equals(r.stats().losses(), losses)) {
      throw new AssertionError("forward and forwardBackward disagree on the losses");
    }
    gradBackward = new float[p.logits.length];
    FusedLoss.backward(p.logits, p.vocab, p.targets, p.offsets, fwd, p.coefficients, p.spec,
        gradBackward);
    gradBf16 = new short[p.logitsBf16.length];
    totalBf16 = FusedLoss.forwardBackward(p.logitsBf16, p.vocab, p.targets, p.offsets,
        p.coefficients, p.spec, gradBf16).total();
    try (FloatPointer z = new FloatPointer(p.logits);
        IntPointer t = new IntPointer(p.targets);
        IntPointer o = new IntPointer(p.offsets)) {
      NativeBatch batch = NativeBatch.builder().logits(z, p.rows, p.vocab).targets(t)
          .offsets(o, p.offsets.length - 1).build();
      totalPointer = FusedLoss.forwardBackward(batch, p.coefficients, p.spec,
          NativeGrad.inPlace(batch)).total();
      gradPointer = new float[p.logits.length];
      z.get(gradPointer);
    }
  }

  /** Null when bit-identical, else the first output that differs. */
  String differenceFrom(Outputs o) {
    if (!Arrays.equals(losses, o.losses)) {
      return "losses";
    }
    if (!Arrays.equals(logProbSums, o.logProbSums)) {
      return "logProbSums";
    }
    if (!Arrays.equals(meanEntropies, o.meanEntropies)) {
      return "meanEntropies";
    }
    if (!Arrays.equals(rowLse, o.rowLse) || !Arrays.equals(rowLogp, o.rowLogp)
        || !Arrays.equals(rowEntropy, o.rowEntropy)) {
      return "row statistics";
    }
    if (!Arrays.equals(grad, o.grad)) {
      return "grad (forwardBackward)";
    }
    if (Double.doubleToRawLongBits(total) != Double.doubleToRawLongBits(o.total)) {
      return "total";
    }
    if (!Arrays.equals(gradBackward, o.gradBackward)) {
      return "grad (backward)";
    }
    if (!Arrays.equals(gradBf16, o.gradBf16) || Double.compare(totalBf16, o.totalBf16) != 0) {
      return "bf16 grad / total";
    }
    if (!Arrays.equals(gradPointer, o.gradPointer)
        || Double.compare(totalPointer, o.totalPointer) != 0) {
      return "pointer API grad / total";
    }
    return null;
  }

  /** SHA-256 over every output's bits: the cross-process determinism check compares these. */
  String digest() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (double[] a : new double[][] {losses, logProbSums, meanEntropies}) {
        ByteBuffer b = ByteBuffer.allocate(8 * a.length);
        b.asDoubleBuffer().put(a);
        md.update(b.array());
      }
      for (float[] a : new float[][] {rowLse, rowLogp, rowEntropy, grad, gradBackward, gradPointer}) {
        ByteBuffer b = ByteBuffer.allocate(4 * a.length);
        b.asFloatBuffer().put(a);
        md.update(b.array());
      }
      ByteBuffer b = ByteBuffer.allocate(2 * gradBf16.length + 24);
      b.asShortBuffer().put(gradBf16);
      b.position(2 * gradBf16.length);
      b.putDouble(total).putDouble(totalBf16).putDouble(totalPointer);
      md.update(b.array());
      StringBuilder hex = new StringBuilder();
      for (byte x : md.digest()) {
        hex.append(String.format("%02x", x));
      }
      return hex.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
