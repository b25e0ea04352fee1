/*
 * grad_rows.cuh: the gradient kernel of reweigh_ce_backward_rows (per-row
 * coefficients w_r, beta_r) and of the vocabulary-sharded backward (a shard's
 * slice of a row whose lse comes from combined partials), grad_rows.cu.
 *
 * Both are "a row's lse is known, write the gradient of the columns this
 * buffer holds": per element the shared token_grad_element of
 * ../common/token_row.h (with beta = 0 it is grad_element of ce_row.h), the
 * target at global column y, eps / V over the whole vocabulary.
 */
#ifndef REWEIGH_CUDA_GRAD_ROWS_CUH
#define REWEIGH_CUDA_GRAD_ROWS_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#include "ce.cuh"

namespace reweigh {
namespace cuda {

struct GradRowsArgs {
    /* The batch (columns [vocab_offset, vocab_offset + vocab) of the whole vocabulary; targets are global),
     * in_lse (or NULL: lse from the combined partials), sample_k, grad, status and async (ce.cuh). */
    RowArgs row;
    int64_t vocab_offset;
    int64_t vocab_total;
    const float* combined_max; /* sharded backward */
    const float* combined_sum_exp;
    const float* row_weights;         /* w_r, or NULL (1) */
    const float* row_entropy_weights; /* beta_r, or NULL (no entropy term) */
    const float* row_entropy;         /* H_r, read with beta */
};

void launch_grad_rows(int32_t logits_dtype, const GradRowsArgs& a, cudaStream_t stream);

}  // namespace cuda
}  // namespace reweigh

#endif
