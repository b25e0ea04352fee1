/*
 * policy_rows.cu: the one-pass policy-gradient step on the device
 * (policy_rows.cuh; docs/methods.md §8, docs/design.md §3.8).
 *
 * Row kernel: one block per row (grid-stride over rows). Per counted row, in
 * one launch:
 *
 *   1. each thread runs softmax_add (../common/ce_row.h) over its strided
 *      columns of z' = transform_logit(z); the block merges the states in
 *      the fixed order of reduce.cuh; thread 0 finishes the row (row_finish:
 *      lse, logp, entropy), so the statistics are those of the forward kernels;
 *   2. thread 0 computes the row's coefficient from its own logp in float64
 *      (policy_term and policy_row_scale of ../common/policy_row.h, the CPU
 *      driver's code), writes the per-row results and broadcasts k_s w_r;
 *   3. the block writes the gradient of the row with token_grad_element
 *      (../common/token_row.h) and beta_r's entropy term, as the CPU driver
 *      and backward_rows (grad_rows.cu) do.
 *
 * The row is read twice from global memory (steps 1 and 3) within one
 * block, so the second read of a row up to a few MB finds it in L2. Every
 * read of the row (the target logit included) happens before the barrier
 * that ends step 2, so the gradient may be the logits themselves. The
 * target is read once by thread 0 and broadcast (the row guard of
 * ce_rows.cu, [Note: row guard]).
 *
 * Objective kernel: one block; thread t sums rows t, t + blockDim, ... in
 * row order in float64, then block_sum (reduce.cuh) merges the threads in a
 * fixed order, so the objective does not depend on the row kernel's grid.
 * It differs from the CPU's serial row-order sum by float64 rounding only.
 *
 * Launch shape: 256 threads per row block, scalar loads; not measured on a GPU.
 */
#include <math.h>
#include <stdint.h>

#include "../common/policy_row.h"
#include "../common/token_row.h"
#include "launch.cuh"
#include "policy_rows.cuh"
#include "reduce.cuh"

namespace reweigh {
namespace cuda {
namespace {

constexpr int kThreads = 256;

/* Dynamic shared memory of the row kernel: the state scratch, then the broadcast slots. */
constexpr size_t kStateBytes = (sizeof(SoftmaxState) * kReduceSlots + 15) / 16 * 16;
struct RowBroadcast {
    int64_t y;
    float lse;
    float entropy;
    float k; /* grad_scale * w_r */
    float kb; /* grad_scale * beta_r */
};
constexpr size_t kRowSmem = kStateBytes + (sizeof(RowBroadcast) + 15) / 16 * 16;

__global__ void policy_totals_kernel(PolicyRowsArgs a, int64_t* totals) {
    REWEIGH_DYNAMIC_SMEM(long long, scratch);
    const RowArgs& b = a.row;
    if (b.async && validation_failed(b.status)) return;
    long long tokens = 0, with_tokens = 0;
    for (int64_t s = threadIdx.x; s < b.samples; s += blockDim.x) {
        tokens += a.counts[s];
        with_tokens += a.counts[s] > 0 ? 1 : 0;
    }
    tokens = block_sum(tokens, scratch);
    __syncthreads(); /* the scratch is reused */
    with_tokens = block_sum(with_tokens, scratch);
    if (threadIdx.x == 0) {
        totals[0] = tokens;
        totals[1] = with_tokens;
    }
}

/* Step 2 on thread 0: row r's results and its broadcast coefficients. */
__device__ void policy_row_coefficient(const PolicyRowsArgs& a, int64_t r, const RowResult& stats, RowBroadcast* out) {
    const RowArgs& b = a.row;
    const int64_t s = find_sample(b.offsets, b.offsets_dtype, b.samples, r);
    const double n = policy_row_scale(a.policy.level, a.counts[s], a.totals[1], a.totals[0]);
    const double old_logp = a.old_logp != nullptr ? a.old_logp[r] : 0.0;
    const double advantage = a.advantages != nullptr ? a.advantages[r] : 0.0;
    const double ref_logp = a.ref_logp != nullptr ? a.ref_logp[r] : 0.0;
    const PolicyTerm t = policy_term(a.policy, stats.logp, old_logp, advantage, ref_logp);
    const float w = static_cast<float>(n * -t.dloss);
    const float beta = a.entropy_weights != nullptr ? a.entropy_weights[r] : 0.0f;
    b.logp[r] = stats.logp;
    b.entropy[r] = stats.entropy;
    a.weights[r] = w;
    a.clipped[r] = static_cast<int8_t>(t.clipped);
    a.policy_loss[r] = n * t.loss;
    a.entropy_term[r] = static_cast<double>(beta) * static_cast<double>(stats.entropy);
    out->lse = stats.lse;
    out->entropy = stats.entropy;
    // The coefficients of the CPU driver (ce_policy.cpp): k_s w_r and k_s beta_r with k_s = grad_scale.
    out->k = a.grad_scale * w;
    out->kb = a.grad_scale * beta;
}

template <class T>
__global__ void __launch_bounds__(kThreads) policy_rows_kernel(PolicyRowsArgs a) {
    const RowArgs& b = a.row;
    if (b.async && validation_failed(b.status)) return; /* uniform over the grid */
    REWEIGH_DYNAMIC_SMEM(uint4, smem);
    SoftmaxState* state_scratch = reinterpret_cast<SoftmaxState*>(smem);
    RowBroadcast* shared = reinterpret_cast<RowBroadcast*>(reinterpret_cast<char*>(smem) + kStateBytes);
    const RowParams p = b.params;
    for (int64_t r = blockIdx.x; r < b.rows; r += gridDim.x) {
        const int64_t y = block_target(b, b.vocab, r, &shared->y);
        const T* z = static_cast<const T*>(b.logits) + r * b.stride;
        T* g = static_cast<T*>(b.grad) + r * b.grad_stride;
        if (y < 0) {
            if (threadIdx.x == 0) {
                b.logp[r] = b.entropy[r] = a.weights[r] = 0.0f;
                a.clipped[r] = 0;
                a.policy_loss[r] = a.entropy_term[r] = 0.0;
            }
            for (int64_t v = threadIdx.x; v < b.vocab; v += blockDim.x) g[v] = from_float<T>(0.0f);
        } else {
            SoftmaxState st = softmax_init();
            for (int64_t v = threadIdx.x; v < b.vocab; v += blockDim.x) softmax_add(st, transform_logit(to_float(z[v]), p));
            st = block_softmax_merge(st, state_scratch);
            if (threadIdx.x == 0) {
                const RowResult stats = row_finish(st, transform_logit(to_float(z[y]), p), 0.0f, b.vocab, p);
                policy_row_coefficient(a, r, stats, shared);
            }
            __syncthreads(); /* every read of z is done; the coefficients are published */
            const GradEpilogue e = grad_epilogue(shared->lse, shared->k, b.vocab, p);
            EntropyEpilogue h;
            h.kb = shared->kb;
            h.entropy = shared->entropy;
            for (int64_t v = threadIdx.x; v < b.vocab; v += blockDim.x) {
                const float zp = transform_logit(to_float(z[v]), p);
                g[v] = from_float<T>(token_grad_element(e, h, zp, v == y, p));
            }
        }
        __syncthreads(); /* the scratch and the broadcast slots are reused by the next row */
    }
}

__global__ void policy_objective_kernel(PolicyRowsArgs a) {
    REWEIGH_DYNAMIC_SMEM(double, dscratch);
    long long* iscratch = reinterpret_cast<long long*>(dscratch + kReduceSlots);
    const RowArgs& b = a.row;
    if (b.async && validation_failed(b.status)) return;
    double policy_sum = 0.0, entropy_sum = 0.0;
    long long below = 0, above = 0;
    for (int64_t r = threadIdx.x; r < b.rows; r += blockDim.x) {
        policy_sum += a.policy_loss[r];
        entropy_sum += a.entropy_term[r];
        below += a.clipped[r] < 0 ? 1 : 0;
        above += a.clipped[r] > 0 ? 1 : 0;
    }
    policy_sum = block_sum(policy_sum, dscratch);
    __syncthreads();
    entropy_sum = block_sum(entropy_sum, dscratch);
    below = block_sum(below, iscratch);
    __syncthreads();
    above = block_sum(above, iscratch);
    if (threadIdx.x == 0) {
        *a.objective = policy_sum + entropy_sum;
        a.clip_counts[0] = below;
        a.clip_counts[1] = above;
    }
}

}  // namespace

void launch_policy_totals(const PolicyRowsArgs& a, int64_t* totals, cudaStream_t stream) {
    launch("policy_totals_kernel", policy_totals_kernel, 1, kThreads, sizeof(long long) * kReduceSlots, stream, a,
           totals);
}

void launch_policy_rows(int32_t logits_dtype, const PolicyRowsArgs& a, cudaStream_t stream) {
    const unsigned grid = grid_for(a.row.rows, 1);
    REWEIGH_LAUNCH_PER_DTYPE("launch_policy_rows", logits_dtype, policy_rows_kernel, grid, kThreads, kRowSmem, stream,
                             a);
}

void launch_policy_objective(const PolicyRowsArgs& a, cudaStream_t stream) {
    launch("policy_objective_kernel", policy_objective_kernel, 1, kThreads,
           (sizeof(double) + sizeof(long long)) * kReduceSlots, stream, a);
}

}  // namespace cuda
}  // namespace reweigh
