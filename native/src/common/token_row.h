/*
 * token_row.h: the per-element gradient of one row under per-row
 * coefficients (reweigh_ce_backward_rows in reweigh.h), written once for the
 * CPU kernels and, later, the CUDA kernels (REWEIGH_HD).
 *
 * Row r carries a loss coefficient w_r and an entropy coefficient beta_r on
 * top of its sample's scale k_s (common/sample_math.h). With z' the
 * transformed logits, p = softmax(z') and H = -sum_v p_v log p_v:
 *
 *   dH/dz'_v = -p_v (log p_v + H)
 *
 * (differentiate -sum_u p_u log p_u with dp_u/dz'_v = p_u ([u == v] - p_v);
 * the "+1" of d(p log p)/dp sums to zero against sum_u dp_u/dz'_v = 0), so
 *
 *   d total / dz_v = [ k_s w_r dRowLoss/dz'_v + k_s beta_r dH/dz'_v ] dz'_v/dz_v
 *
 * where the first term is grad_element of ce_row.h with coefficient k_s w_r
 * (its GradEpilogue) and log p_v = z'_v - lse.
 */
#ifndef REWEIGH_COMMON_TOKEN_ROW_H
#define REWEIGH_COMMON_TOKEN_ROW_H

#include <math.h>

#include "ce_row.h"
#include "hd.h"

namespace reweigh {

/* Per-row constants of the entropy term: kb = k_s * beta_r, entropy = H_r from the forward. */
struct EntropyEpilogue {
    float kb;
    float entropy;
};

/*
 * Gradient with respect to the raw logit whose transformed value is zp.
 * A logit with p_v = 0 (a -inf logit, or one far below the max) has no
 * entropy gradient: the test keeps 0 * (-inf) = NaN out of it.
 */
REWEIGH_HD float token_grad_element(const GradEpilogue& e, const EntropyEpilogue& h, float zp, bool is_target,
                                    const RowParams& p) {
    const float prob = expf(zp - e.lse);
    float g = e.a * prob - e.b;
    if (is_target) {
        g -= e.t;
    }
    if (h.kb != 0.0f && prob > 0.0f) {
        // prob last: one rounding where the product underflows, as in the vector kernels.
        g -= prob * (h.kb * ((zp - e.lse) + h.entropy));
    }
    return g * transform_derivative(zp, p);
}

}  // namespace reweigh

#endif
