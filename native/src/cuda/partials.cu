/*
 * partials.cu: vocabulary-sharded partials on the device (partials.cuh).
 *
 * Partial forward: one block per row (grid-stride over rows); each thread
 * runs softmax_add (../common/ce_row.h) over its strided columns of
 * z' = transform_logit(z) and sums z'; the block merges the per-thread states
 * with softmax_merge in the fixed order of reduce.cuh (Milakov & Gimelshein
 * 2018, Algorithm 3's reduction step, the merge the CPU's shards and
 * reweigh_ce_partials_merge use), so results are run-to-run identical.
 * Thread 0 reads the target once and broadcasts it (the row guard of
 * ce_rows.cu); the target logit is written only by the shard that holds
 * column y. As on the CPU, logit_sum is 0 unless label smoothing reads it.
 *
 * Finish: one thread per row, row_finish() of the combined state over the
 * whole vocabulary, exactly the CPU's per-row statistics of
 * reweigh_ce_sharded_stats; the per-sample sums are ce_reduce.cu's.
 *
 * Launch shape: 256 threads per row block, scalar loads; not measured on a GPU.
 */
#include <math.h>
#include <stdint.h>

#include "../common/ce_partial.h"
#include "launch.cuh"
#include "partials.cuh"
#include "reduce.cuh"

namespace reweigh {
namespace cuda {
namespace {

constexpr int kThreads = 256;

/* Dynamic shared memory of the partial kernel: state scratch, sum scratch, the broadcast target. */
constexpr size_t kStateBytes = (sizeof(SoftmaxState) * kReduceSlots + 15) / 16 * 16;
constexpr size_t kSumBytes = (sizeof(float) * kReduceSlots + 15) / 16 * 16;
constexpr size_t kPartialSmem = kStateBytes + kSumBytes + 16;

template <class T>
__global__ void __launch_bounds__(kThreads) partial_forward_kernel(PartialArgs a) {
    const RowArgs& b = a.row;
    if (b.async && validation_failed(b.status)) return; /* uniform over the grid */
    REWEIGH_DYNAMIC_SMEM(uint4, smem);
    SoftmaxState* state_scratch = reinterpret_cast<SoftmaxState*>(smem);
    float* sum_scratch = reinterpret_cast<float*>(reinterpret_cast<char*>(smem) + kStateBytes);
    int64_t* shared_y = reinterpret_cast<int64_t*>(reinterpret_cast<char*>(smem) + kStateBytes + kSumBytes);
    const RowParams p = b.params;
    const reweigh_ce_partials_t out = a.partials;
    for (int64_t r = blockIdx.x; r < b.rows; r += gridDim.x) {
        const int64_t y = block_target(b, a.vocab_total, r, shared_y);
        const T* z = static_cast<const T*>(b.logits) + r * b.stride;
        if (y < 0) {
            if (threadIdx.x == 0) {
                out.max[r] = -INFINITY;
                out.sum_exp[r] = out.entropy_sum[r] = out.logit_sum[r] = out.target_logit[r] = 0.0f;
            }
        } else {
            RowPartial part = partial_init();
            for (int64_t v = threadIdx.x; v < b.vocab; v += blockDim.x) {
                const float zp = transform_logit(to_float(z[v]), p);
                softmax_add(part.st, zp);
                part.logit_sum += zp;
            }
            part.st = block_softmax_merge(part.st, state_scratch);
            part.logit_sum = block_sum(part.logit_sum, sum_scratch);
            if (threadIdx.x == 0) {
                const int64_t col = y - a.vocab_offset;
                out.max[r] = part.st.m;
                out.sum_exp[r] = part.st.d;
                out.entropy_sum[r] = part.st.s;
                out.logit_sum[r] = p.eps > 0.0f ? part.logit_sum : 0.0f;
                out.target_logit[r] = col >= 0 && col < b.vocab ? transform_logit(to_float(z[col]), p) : 0.0f;
            }
        }
        __syncthreads(); /* the scratch and shared_y are reused by the next row */
    }
}

__global__ void finish_combined_kernel(PartialArgs a) {
    const RowArgs& b = a.row;
    if (b.async && validation_failed(b.status)) return;
    const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
    const reweigh_ce_partials_t c = a.partials;
    for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < b.rows; r += step) {
        RowResult res = {0.0f, 0.0f, 0.0f, 0.0f};
        if (guarded_target(b, a.vocab_total, r) >= 0) {
            SoftmaxState st;
            st.m = c.max[r];
            st.d = c.sum_exp[r];
            st.s = c.entropy_sum[r];
            res = row_finish(st, c.target_logit[r], c.logit_sum[r], a.vocab_total, b.params);
        }
        b.lse[r] = res.lse;
        b.logp[r] = res.logp;
        b.entropy[r] = res.entropy;
        b.loss[r] = res.loss;
    }
}

}  // namespace

void launch_partial_forward(int32_t logits_dtype, const PartialArgs& a, cudaStream_t stream) {
    const unsigned grid = grid_for(a.row.rows, 1);
    switch (logits_dtype) {
        case REWEIGH_DTYPE_F32:
            launch("partial_forward_kernel<f32>", partial_forward_kernel<float>, grid, kThreads, kPartialSmem, stream,
                   a);
            break;
        case REWEIGH_DTYPE_BF16:
            launch("partial_forward_kernel<bf16>", partial_forward_kernel<Bf16>, grid, kThreads, kPartialSmem, stream,
                   a);
            break;
        case REWEIGH_DTYPE_F16:
            launch("partial_forward_kernel<f16>", partial_forward_kernel<F16>, grid, kThreads, kPartialSmem, stream,
                   a);
            break;
        default: REWEIGH_FAIL(REWEIGH_STATUS_INTERNAL, "launch_partial_forward: logits dtype %d", logits_dtype);
    }
}

void launch_finish_combined(const PartialArgs& a, cudaStream_t stream) {
    launch("finish_combined_kernel", finish_combined_kernel, grid_for(a.row.rows, kThreads), kThreads, 0, stream, a);
}

}  // namespace cuda
}  // namespace reweigh
