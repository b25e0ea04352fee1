/*
 * policy_rows.cuh: the kernels of the one-pass policy-gradient step on CUDA
 * batches (reweigh_policy_forward_backward, reweigh.h; policy_rows.cu),
 * strung together by ce_cuda_policy.cu.
 */
#ifndef REWEIGH_CUDA_POLICY_ROWS_CUH
#define REWEIGH_CUDA_POLICY_ROWS_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#include "ce.cuh"

namespace reweigh {
namespace cuda {

struct PolicyRowsArgs {
    /* The batch, its options, status and async (ce.cuh); row.grad / grad_stride the gradient,
     * row.logp / row.entropy the per-row log-probability and entropy outputs. */
    RowArgs row;
    reweigh_policy_options_t policy;
    const int64_t* counts;       /* [samples] counted rows per sample (launch_check_labels) */
    const int64_t* totals;       /* [2]: counted rows, samples with counted rows (launch_policy_totals) */
    const float* old_logp;       /* [rows] or NULL (DFT) */
    const float* advantages;     /* [rows] or NULL (DFT) */
    const float* ref_logp;       /* [rows] or NULL (no KL term) */
    const float* entropy_weights; /* [rows] beta_r or NULL (no entropy term) */
    float grad_scale;
    float* weights;          /* [rows] w_r = -n_r dloss_r/dlogp_r */
    int8_t* clipped;         /* [rows] */
    double* policy_loss;     /* [rows] n_r loss_r (0 on ignored rows) */
    double* entropy_term;    /* [rows] beta_r H_r (0 on ignored rows or without beta) */
    double* objective;       /* device double: sum of both, in a fixed order */
    int64_t* clip_counts;    /* device int64[2]: below, above */
};

/* totals[0] = sum_s counts[s], totals[1] = #{s : counts[s] > 0}. */
void launch_policy_totals(const PolicyRowsArgs& a, int64_t* totals, cudaStream_t stream);
/* Per row: statistics, coefficient (common/policy_row.h), per-row results and the gradient. */
void launch_policy_rows(int32_t logits_dtype, const PolicyRowsArgs& a, cudaStream_t stream);
/* objective and clip counts from the per-row terms, in a fixed order. */
void launch_policy_objective(const PolicyRowsArgs& a, cudaStream_t stream);

}  // namespace cuda
}  // namespace reweigh

#endif
