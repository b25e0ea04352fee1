/*
 * policy_row.h: the per-row coefficient of the one-pass policy-gradient step
 * (reweigh_policy_forward_backward in reweigh.h, docs/methods.md §8), written
 * once for the CPU driver and the CUDA kernels (REWEIGH_HD). float64
 * throughout, in the operation order of dev.reweigh.weighting.PolicyGradient,
 * the Java reference the tests compare against.
 *
 * The clipped surrogate of one token with advantage A (GRPO, arXiv:2402.03300
 * Eq. 3; DAPO's decoupled range, arXiv:2503.14476 Eq. 8; PPO-clip,
 * arXiv:1707.06347 Eq. 7):
 *
 *   f(rho, A)  = min(rho A, clip(rho, 1 - eps_low, 1 + eps_high) A),  rho = exp(logp - old_logp)
 *   df/dlogp   = rho A  where the unclipped branch is the min (d rho / d logp = rho), else 0
 *
 * minus the k3 KL estimator of GRPO Eq. 4, q = ref_logp - logp:
 *
 *   D = e^q - q - 1,   dD/dlogp = 1 - e^q
 *
 * Dynamic fine-tuning (arXiv:2508.05629): loss sg(p) (-logp), p = exp(logp),
 * whose derivative with p held constant is -p.
 */
#ifndef REWEIGH_COMMON_POLICY_ROW_H
#define REWEIGH_COMMON_POLICY_ROW_H

#include <math.h>
#include <stdint.h>

#include "hd.h"
#include "reweigh/reweigh.h"

namespace reweigh {

/* One row's share of the objective: loss (to minimise) and its derivative in logp. */
struct PolicyTerm {
    double loss;      /* -f + kl D (CLIPPED) or p (-logp) (DFT) */
    double dloss;     /* d loss / d logp */
    int32_t clipped;  /* +1: clipped above (rho > 1), -1: below, 0: unclipped branch active */
};

REWEIGH_HD PolicyTerm policy_term(const reweigh_policy_options_t& o, double logp, double old_logp, double advantage,
                                  double ref_logp) {
    PolicyTerm t;
    t.clipped = 0;
    if (o.loss == REWEIGH_POLICY_LOSS_DFT) {
        const double p = exp(logp);
        t.loss = p * -logp;
        t.dloss = -p;
        return t;
    }
    const double rho = exp(logp - old_logp);
    const double clipped_rho = fmin(fmax(rho, 1.0 - o.eps_low), 1.0 + o.eps_high);
    const double unclipped = rho * advantage;
    const double clipped = clipped_rho * advantage;
    double term = fmin(unclipped, clipped);
    double dterm = 0.0;
    if (unclipped <= clipped) {
        dterm = unclipped;
    } else {
        t.clipped = rho > 1.0 ? 1 : -1;
    }
    if (o.kl_coefficient > 0.0) {
        const double q = ref_logp - logp;
        const double x = exp(q);
        term -= o.kl_coefficient * (x - q - 1.0);
        dterm -= o.kl_coefficient * (1.0 - x);
    }
    t.loss = -term;
    t.dloss = -dterm;
    return t;
}

/*
 * n_r, the row's weight in the level's average: SEQUENCE 1 / (G' count_s) with G'
 * the samples that have counted rows, TOKEN 1 / tokens. 0 when the row's sample
 * has no counted row (never asked for a counted row).
 */
REWEIGH_HD double policy_row_scale(int32_t level, int64_t sample_count, int64_t samples_with_tokens,
                                   int64_t tokens) {
    if (level == REWEIGH_POLICY_LEVEL_TOKEN) return tokens > 0 ? 1.0 / static_cast<double>(tokens) : 0.0;
    if (sample_count <= 0) return 0.0;
    return 1.0 / (static_cast<double>(sample_count) * static_cast<double>(samples_with_tokens));
}

}  // namespace reweigh

#endif
