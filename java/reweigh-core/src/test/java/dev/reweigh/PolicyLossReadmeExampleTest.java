package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.reweigh.weighting.PolicyGradient;
import dev.reweigh.weighting.TokenObjective;
import org.junit.jupiter.api.Test;

/**
 * The README's one-pass GRPO step, verbatim between the markers, so the API tour stays runnable;
 * then the same step two-phase ({@code FusedLoss.forward} -> {@code PolicyGradient.grpo} -> {@code
 * TokenLoss.backward}) on the same logits must give the same value and gradient.
 */
class PolicyLossReadmeExampleTest {

  @Test
  void readmeOnePassGrpoStepRuns() {
    // ---- README begin ----
    int vocab = 5;
    // Two sampled answers to one prompt (G = 2), 3 rows each; row 0 of each is a prompt row.
    float[] logits = new float[6 * vocab];
    for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.sin(i);
    int[] targets = {-100, 1, 3, -100, 0, 2};
    int[] offsets = {0, 3, 6};
    float[] oldLogp = {0f, -2.67f, -1.33f, 0f, -0.47f, -1.15f}; // the sampling policy's log-probs
    double[] adv = PolicyGradient.groupAdvantages(new double[] {1.0, 0.0}, 2, 1e-4);

    float[] grad = new float[logits.length];                  // or logits itself: in place
    PolicyResult step = PolicyLoss.forwardBackward(logits, vocab, targets, offsets,
        TokenLoss.objectiveSpec(), PolicySpec.grpo(0.2, 0.0, PolicyGradient.Level.SEQUENCE),
        oldLogp, PolicyGradient.rowAdvantages(adv, offsets), null, null, grad);
    System.out.printf("GRPO loss %.6f, clipped %d below / %d above%n",
        step.objective(), step.clippedBelow(), step.clippedAbove());
    // ---- README end ----

    LossSpec spec = TokenLoss.objectiveSpec();
    SampleStats st = FusedLoss.forward(logits, vocab, targets, offsets, spec);
    TokenObjective f = PolicyGradient.grpo(st.rowLogp(), oldLogp, null, offsets,
        PolicyGradient.countedRows(targets, -100), adv, 0.2, 0.0, PolicyGradient.Level.SEQUENCE);
    float[] two = new float[logits.length];
    TokenLoss.backward(logits, vocab, targets, offsets, st, TokenLoss.unitCoefficients(2),
        f.rowWeights(), null, spec, two);
    assertEquals(f.value(), step.objective(), 1e-7, "objective");
    assertEquals(1, step.clippedAbove(), "row 1: rho = 1.5, A > 0");
    assertEquals(1, step.clippedBelow(), "row 4: rho = 0.6, A < 0");
    for (int i = 0; i < grad.length; i++) {
      assertEquals(two[i], grad[i], 1e-6, "grad[" + i + "]");
    }
  }
}
