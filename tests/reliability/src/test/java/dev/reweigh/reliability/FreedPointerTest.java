package dev.reweigh.reliability;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.FusedLoss;
import dev.reweigh.LossSpec;
import dev.reweigh.NativeBatch;
import dev.reweigh.NativeGrad;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.Test;

/**
 * A JavaCPP buffer deallocated after the batch (or grad) was built must be an
 * IllegalArgumentException, not a read of freed memory (docs/design.md §4: a null, closed or freed
 * buffer is an IllegalArgumentException).
 */
class FreedPointerTest {
  private final Problems p = new Problems(9, 6, 40);

  private NativeBatch batch(FloatPointer z, IntPointer t, IntPointer o) {
    return NativeBatch.builder().logits(z, p.rows, p.vocab).targets(t)
        .offsets(o, p.offsets.length - 1).build();
  }

  @Test
  void freedLogitsTargetsOrOffsetsAreRejected() {
    for (int which = 0; which < 3; which++) {
      try (FloatPointer z = new FloatPointer(p.logits);
          IntPointer t = new IntPointer(p.targets);
          IntPointer o = new IntPointer(p.offsets)) {
        NativeBatch b = batch(z, t, o);
        (which == 0 ? z : which == 1 ? t : o).deallocate();
        String name = which == 0 ? "logits" : which == 1 ? "targets" : "offsets";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> FusedLoss.forward(b, LossSpec.defaults()));
        assertTrue(e.getMessage().contains(name), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FusedLoss.forwardBackward(b,
            p.coefficients, LossSpec.defaults(), NativeGrad.inPlace(b)));
      }
    }
  }

  @Test
  void freedGradIsRejected() {
    try (FloatPointer z = new FloatPointer(p.logits);
        IntPointer t = new IntPointer(p.targets);
        IntPointer o = new IntPointer(p.offsets);
        FloatPointer g = new FloatPointer(p.logits.length)) {
      NativeBatch b = batch(z, t, o);
      NativeGrad grad = NativeGrad.of(g, p.vocab);
      g.deallocate();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> FusedLoss.forwardBackward(b, p.coefficients, LossSpec.defaults(), grad));
      assertTrue(e.getMessage().contains("grad"), e.getMessage());
    }
  }
}
