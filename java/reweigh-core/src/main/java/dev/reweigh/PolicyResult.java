package dev.reweigh;

/**
 * What one {@link PolicyLoss} step reports besides the gradient: the objective and, per row,
 * what the objective was computed from (0 on ignored rows).
 *
 * @param objective F (minimised): the policy loss plus {@code sum_r beta_r H_r}
 * @param rowLogp {@code logp_r} under the current logits
 * @param rowEntropy {@code H_r}
 * @param rowWeights {@code w_r = -dF/dlogp_r} of the policy loss (the two-phase path's row
 *     weights)
 * @param rowClipped +1 where the clipped branch is active above ({@code rho > 1}), -1 below, else
 *     0
 * @param clippedBelow rows clipped below
 * @param clippedAbove rows clipped above
 */
public record PolicyResult(double objective, float[] rowLogp, float[] rowEntropy,
    float[] rowWeights, byte[] rowClipped, long clippedBelow, long clippedAbove) {}
