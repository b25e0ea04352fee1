/*
 * grad_rows.cu: the gradient rows of reweigh_ce_backward_rows and of the
 * vocabulary-sharded backward (grad_rows.cuh).
 *
 * One block per row (grid-stride over rows), threads striding over the
 * row's columns; each element is token_grad_element (../common/token_row.h)
 * of z' = transform_logit(z), so the formulas are the ones the CPU tests
 * cover. Thread v reads element v before it writes it, so the gradient may
 * be the logits themselves. An ignored row gets zeros.
 *
 * The target is read once by thread 0 and broadcast through shared memory
 * (the row guard of ce_rows.cu, [Note: row guard]): a target outside
 * [0, vocab_total) that is not ignore_index, possible only when the caller's
 * memory changed after validation, is never used; the row is written as
 * ignored and reported through the deferred status.
 *
 * Launch shape: 256 threads, scalar loads (coalesced across the warp); not
 * measured on a GPU.
 */
#include <stdint.h>

#include "../common/ce_partial.h"
#include "../common/token_row.h"
#include "grad_rows.cuh"
#include "launch.cuh"
#include "reduce.cuh"

namespace reweigh {
namespace cuda {
namespace {

constexpr int kThreads = 256;

template <class T>
__global__ void __launch_bounds__(kThreads) grad_rows_kernel(GradRowsArgs a) {
    const RowArgs& b = a.row;
    if (b.async && validation_failed(b.status)) return; /* uniform over the grid */
    REWEIGH_DYNAMIC_SMEM(int64_t, shared_y);
    const RowParams p = b.params;
    for (int64_t r = blockIdx.x; r < b.rows; r += gridDim.x) {
        const int64_t y = block_target(b, a.vocab_total, r, shared_y);
        const T* z = static_cast<const T*>(b.logits) + r * b.stride;
        T* g = static_cast<T*>(b.grad) + r * b.grad_stride;
        if (y < 0) {
            for (int64_t v = threadIdx.x; v < b.vocab; v += blockDim.x) g[v] = from_float<T>(0.0f);
        } else {
            const float k = b.sample_k[find_sample(b.offsets, b.offsets_dtype, b.samples, r)];
            const float lse = b.in_lse != nullptr ? b.in_lse[r] : partial_lse(a.combined_max[r], a.combined_sum_exp[r]);
            // The products of the CPU driver (ce_token.cpp): k_s w_r and k_s beta_r.
            const GradEpilogue e =
                grad_epilogue(lse, a.row_weights != nullptr ? k * a.row_weights[r] : k, a.vocab_total, p);
            EntropyEpilogue h;
            h.kb = a.row_entropy_weights != nullptr ? k * a.row_entropy_weights[r] : 0.0f;
            h.entropy = a.row_entropy_weights != nullptr ? a.row_entropy[r] : 0.0f;
            const int64_t col = y - a.vocab_offset; /* outside [0, vocab): another shard owns the target */
            for (int64_t v = threadIdx.x; v < b.vocab; v += blockDim.x) {
                const float zp = transform_logit(to_float(z[v]), p);
                g[v] = from_float<T>(token_grad_element(e, h, zp, v == col, p));
            }
        }
        __syncthreads(); /* shared_y is rewritten by the next row */
    }
}

}  // namespace

void launch_grad_rows(int32_t logits_dtype, const GradRowsArgs& a, cudaStream_t stream) {
    const unsigned grid = grid_for(a.row.rows, 1);
    const size_t smem = sizeof(int64_t);
    REWEIGH_LAUNCH_PER_DTYPE("launch_grad_rows", logits_dtype, grad_rows_kernel, grid, kThreads, smem, stream, a);
}

}  // namespace cuda
}  // namespace reweigh
