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
    const void* logits; /* [rows, vocab] columns [vocab_offset, vocab_offset + vocab) of the whole vocabulary */
    int64_t rows;
    int64_t vocab;
    int64_t stride;
    const void* targets; /* global indices in [0, vocab_total) or ignore_index */
    int32_t targets_dtype;
    int32_t offsets_dtype;
    const void* offsets;
    int64_t samples;
    int64_t ignore_index;
    RowParams params;
    int64_t vocab_offset;
    int64_t vocab_total;
    const float* lse;          /* [rows], or NULL: lse = partial_lse(combined_max, combined_sum_exp) */
    const float* combined_max; /* sharded backward */
    const float* combined_sum_exp;
    const float* sample_k;            /* k_s (common/sample_math.h) */
    const float* row_weights;         /* w_r, or NULL (1) */
    const float* row_entropy_weights; /* beta_r, or NULL (no entropy term) */
    const float* row_entropy;         /* H_r, read with beta */
    void* grad;
    int64_t grad_stride;
    DeviceStatus* status; /* row guard; asynchronous mode reads it first */
    int32_t async;
};

/* The arguments every caller fills the same way from the batch and options (lse, k, weights, grad unset). */
GradRowsArgs grad_rows_args(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                            int64_t vocab_offset, int64_t vocab_total);

void launch_grad_rows(int32_t logits_dtype, const GradRowsArgs& a, cudaStream_t stream);

}  // namespace cuda
}  // namespace reweigh

#endif
