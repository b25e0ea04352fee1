package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.weighting.PolicyGradient;
import dev.reweigh.weighting.TokenObjective;
import org.junit.jupiter.api.Test;

/**
 * The README's GRPO step, verbatim between the markers, so the API tour stays runnable. Checks
 * what holds for any such step: prompt rows get a zero gradient, and every counted row's gradient
 * sums to 0 over the vocabulary (sum_v d(-logp)/dz_v = sum_v (p_v - [v = y]) = 0 and sum_v dH/dz_v
 * = -sum_v p_v (log p_v + H) = H - H = 0), while the clipped-ratio row carries none at all.
 */
class TokenLossReadmeExampleTest {

  @Test
  void readmeGrpoStepRuns() {
    // ---- README begin ----
    int vocab = 5;
    // Two sampled answers to one prompt (G = 2), 3 rows each; row 0 of each is a prompt row.
    float[] logits = new float[6 * vocab];
    for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.sin(i);
    int[] targets = {-100, 1, 3, -100, 0, 2};
    int[] offsets = {0, 3, 6};
    LossSpec spec = TokenLoss.objectiveSpec();              // SUM, NONE: total = sum_r w_r (-logp_r)

    SampleStats st = FusedLoss.forward(logits, vocab, targets, offsets, spec);
    float[] logp = st.rowLogp();
    float[] oldLogp = logp.clone();                           // the sampling policy's log-probs
    oldLogp[1] -= 0.5f;                                       // ratio e^0.5 > 1.2: clipped if A > 0
    boolean[] counted = PolicyGradient.countedRows(targets, spec.ignoreIndex());
    double[] adv = PolicyGradient.groupAdvantages(new double[] {1.0, 0.0}, 2, 1e-4);
    TokenObjective grpo = PolicyGradient.grpo(logp, oldLogp, null, offsets, counted, adv,
        0.2, 0.0, PolicyGradient.Level.SEQUENCE);             // DeepSeekMath Eq. (3), no KL term

    float[] entropyBonus = new float[targets.length];         // optional: -0.01 * mean entropy
    for (int r = 0; r < targets.length; r++) if (counted[r]) entropyBonus[r] = -0.01f / 4;
    TokenLoss.backward(logits, vocab, targets, offsets, st, TokenLoss.unitCoefficients(2),
        grpo.rowWeights(), entropyBonus, spec, logits);      // logits now hold dF/dlogits
    System.out.printf("GRPO loss %.6f%n", grpo.value());
    // ---- README end ----

    assertEquals(0.0, grpo.dLogp()[1], 0.0, "row 1 is clipped (rho = e^0.5, A > 0)");
    for (int r = 0; r < targets.length; r++) {
      double sum = 0;
      double max = 0;
      for (int v = 0; v < vocab; v++) {
        sum += logits[r * vocab + v];
        max = Math.max(max, Math.abs(logits[r * vocab + v]));
        if (!counted[r]) {
          assertEquals(0f, logits[r * vocab + v], "prompt row " + r);
        }
      }
      assertEquals(0.0, sum, 1e-6, "row " + r + " gradient sum");
      assertTrue(!counted[r] || max > 0, "row " + r + " has a gradient");
    }
  }
}
