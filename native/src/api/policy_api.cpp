/*
 * policy_api.cpp: the one-pass policy-gradient step,
 * reweigh_policy_forward_backward (reweigh.h). Same shape as the other entry
 * points: snapshot the structs and check them (row_entry.h, plus the policy
 * options and row arrays here), dispatch, every failure a status (errors.h).
 * This file holds no math.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/errors.h"
#include "../cpu/ce_policy.h"
#include "../cuda/ce_cuda.h"
#include "reweigh/reweigh.h"
#include "row_entry.h"
#include "validate.h"

using reweigh::guarded;

namespace {

/* The policy options and the loss options the policy step reads; every backend's first check. */
void check_policy_options(const reweigh_ce_options_t& o, const reweigh_policy_options_t& p) {
    REWEIGH_CHECK_ARG(o.label_smoothing == 0.0f, "labelSmoothing = %g: the policy step differentiates -logp; use 0",
                      static_cast<double>(o.label_smoothing));
    REWEIGH_CHECK_ARG(o.z_loss == 0.0f, "zLoss = %g: the policy step differentiates -logp; use 0",
                      static_cast<double>(o.z_loss));
    REWEIGH_CHECK_ARG(p.loss == REWEIGH_POLICY_LOSS_CLIPPED || p.loss == REWEIGH_POLICY_LOSS_DFT,
                      "policy.loss = %d is not CLIPPED (0) or DFT (1)", static_cast<int>(p.loss));
    REWEIGH_CHECK_ARG(p.level == REWEIGH_POLICY_LEVEL_SEQUENCE || p.level == REWEIGH_POLICY_LEVEL_TOKEN,
                      "policy.level = %d is not SEQUENCE (0) or TOKEN (1)", static_cast<int>(p.level));
    REWEIGH_CHECK_ARG(isfinite(p.eps_low) && p.eps_low >= 0.0, "policy.epsLow = %g must be finite and >= 0",
                      p.eps_low);
    REWEIGH_CHECK_ARG(isfinite(p.eps_high) && p.eps_high >= 0.0, "policy.epsHigh = %g must be finite and >= 0",
                      p.eps_high);
    REWEIGH_CHECK_ARG(isfinite(p.kl_coefficient) && p.kl_coefficient >= 0.0,
                      "policy.klCoefficient = %g must be finite and >= 0", p.kl_coefficient);
    REWEIGH_CHECK_ARG(p.loss == REWEIGH_POLICY_LOSS_CLIPPED || p.kl_coefficient == 0.0,
                      "policy.klCoefficient = %g: the KL term belongs to the CLIPPED loss; use 0 with DFT",
                      p.kl_coefficient);
}

}  // namespace

extern "C" {

reweigh_policy_options_t reweigh_policy_options_default(void) {
    // loss, level, eps_low, eps_high, kl_coefficient (reweigh.h's field order)
    return reweigh_policy_options_t{REWEIGH_POLICY_LOSS_CLIPPED, REWEIGH_POLICY_LEVEL_SEQUENCE, 0.2, 0.2, 0.0};
}

reweigh_status_t reweigh_policy_forward_backward(const reweigh_ce_batch_t* batch, const reweigh_ce_options_t* options,
                                                 const reweigh_policy_options_t* policy,
                                                 const reweigh_policy_rows_t* rows,
                                                 const reweigh_policy_result_t* result,
                                                 const reweigh_ce_grad_t* grad) {
    return guarded([&] {
        const reweigh::RowEntry e = reweigh::enter_rows(batch, options, grad);
        const reweigh_ce_batch_t& b = e.b;
        REWEIGH_CHECK_ARG(policy != nullptr, "policy is NULL");
        REWEIGH_CHECK_ARG(rows != nullptr, "rows is NULL");
        REWEIGH_CHECK_ARG(result != nullptr, "result is NULL");
        // One consistent copy of each struct, whatever the caller's memory does meanwhile.
        const reweigh_policy_options_t p = *policy;
        const reweigh_policy_rows_t in = *rows;
        const reweigh_policy_result_t out = *result;
        check_policy_options(e.o, p);
        const long long n = static_cast<long long>(b.rows);
        const bool clipped = p.loss == REWEIGH_POLICY_LOSS_CLIPPED;
        REWEIGH_CHECK_ARG(!clipped || in.old_logp != nullptr || b.rows == 0,
                          "rows.oldLogp is NULL (rows = %lld; the CLIPPED loss needs it)", n);
        REWEIGH_CHECK_ARG(!clipped || in.advantages != nullptr || b.rows == 0,
                          "rows.advantages is NULL (rows = %lld; the CLIPPED loss needs it)", n);
        REWEIGH_CHECK_ARG(!clipped || !(p.kl_coefficient > 0.0) || in.ref_logp != nullptr || b.rows == 0,
                          "rows.refLogp is NULL but policy.klCoefficient = %g > 0 (rows = %lld)", p.kl_coefficient,
                          n);
        const reweigh::Buffer buffers[] = {
            {"oldLogp", in.old_logp, b.rows, 4, false},
            {"advantages", in.advantages, b.rows, 4, false},
            {"refLogp", in.ref_logp, b.rows, 4, false},
            {"entropyWeights", in.entropy_weights, b.rows, 4, false},
            {"result.rowLogp", out.row_logp, b.rows, 4, true},
            {"result.rowEntropy", out.row_entropy, b.rows, 4, true},
            {"result.rowWeights", out.row_weights, b.rows, 4, true},
            {"result.rowClipped", out.row_clipped, b.rows, 1, true},
            {"result.objective", out.objective, 1, 8, true},
            {"result.clipCounts", out.clip_counts, 2, 8, true},
        };
        const size_t count = sizeof(buffers) / sizeof(buffers[0]);
        for (size_t i = 0; i < count; ++i) reweigh::validate_memory_space(b, e.probe, buffers[i].ptr, buffers[i].name);
        reweigh::validate_no_aliasing_with(b, e.g, buffers, count);
        if (b.device_type == REWEIGH_DEVICE_CUDA) {
            reweigh::cuda::policy_forward_backward(b, e.o, e.params, p, in, out, e.g);
        } else {
            reweigh::cpu::policy_forward_backward(b, e.o, e.params, p, in, out, e.g);
        }
    });
}

}  // extern "C"
