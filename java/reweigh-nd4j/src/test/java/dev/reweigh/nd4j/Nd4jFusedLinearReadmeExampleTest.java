package dev.reweigh.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.reweigh.LossSpec;
import dev.reweigh.Normalization;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The README's ND4J fused linear + cross-entropy, verbatim between the markers, so the API tour
 * stays runnable. Checks what holds for any such call: the gradients have the inputs' shapes, a
 * zero coefficient sample contributes nothing (its rows' grad_hidden is 0), and with NONE the
 * total is sum_s c_s loss_s from the call's own statistics.
 */
class Nd4jFusedLinearReadmeExampleTest {

  @Test
  void readmeFusedLinearRuns() {
    // ---- README begin ----
    long rows = 6, h = 8, v = 50;
    Nd4j.getRandom().setSeed(7);
    INDArray hidden = Nd4j.randn(DataType.FLOAT, rows, h);           // the model's last hidden states
    INDArray weight = Nd4j.randn(DataType.FLOAT, v, h).muli(0.3);    // LM head [V, H]
    INDArray targets = Nd4j.createFromArray(3L, 7L, -100L, 49L, 0L, 12L);
    INDArray offsets = Nd4j.createFromArray(0L, 3L, 6L);             // 2 samples of 3 rows
    Nd4jLinearHead head = Nd4jLinearHead.of(hidden, weight, null, targets, offsets);
    LossSpec spec = LossSpec.builder().normalization(Normalization.NONE).build();

    // One pass: loss, per-sample statistics, grad_hidden, grad_W (chunks of at most 32 MiB of
    // logits).
    Nd4jLinearResult r = Nd4jFusedLinearLoss.forwardBackward(head, new float[] {1.0f, 0.0f}, spec,
        Nd4jFusedLinearLoss.DEFAULT_CHUNK_BYTES);

    // Two phases (coefficients from the forward statistics, as in DPO or IWSI):
    Nd4jLinearForward fwd = Nd4jFusedLinearLoss.forward(head, spec, 1L << 20);
    float[] c = new float[fwd.stats().samples()];
    for (int s = 0; s < c.length; s++) c[s] = (float) Math.exp(-fwd.stats().loss(s));
    Nd4jLinearResult r2 = Nd4jFusedLinearLoss.backward(fwd, c, 1L << 20);
    System.out.println(r.total() + " " + r2.total() + " " + r2.gradWeight().shapeInfoToString());
    // ---- README end ----

    assertArrayEquals(new long[] {rows, h}, r.gradHidden().shape());
    assertArrayEquals(new long[] {v, h}, r.gradWeight().shape());
    for (int row = 3; row < 6; row++) {
      for (int k = 0; k < h; k++) {
        assertEquals(0.0, r.gradHidden().getDouble(row, k), 0.0, "sample 1 has coefficient 0");
      }
    }
    assertEquals(r.stats().loss(0), r.total(), 1e-12);
    double expected = c[0] * fwd.stats().loss(0) + c[1] * fwd.stats().loss(1);
    assertEquals(expected, r2.total(), 1e-12);
  }
}
