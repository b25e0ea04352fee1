/*
 * reduce.cuh: warp and block reductions of the CUDA kernels, all in a fixed
 * order so a result never depends on scheduling (no float atomics anywhere).
 *
 * The softmax-state reduction is the reduction step of the online softmax,
 * Milakov & Gimelshein 2018, arXiv:1805.02867, Algorithm 3 (merge of partial
 * (m, d) pairs), extended with the entropy sum s; the merge itself is
 * softmax_merge() in ../common/ce_row.h, shared with the CPU.
 *
 * [Note: deterministic reductions] Inside a warp we use an xor butterfly;
 * each lane may end with a differently bracketed (but run-to-run identical)
 * value, so only lane 0's value is published. Across warps, lane 0 of each
 * warp writes its value to shared memory; warp 0 then merges the (at most
 * 32) per-warp values with one more butterfly and its lane 0 publishes the
 * block result in the broadcast slot, which every thread reads. That is
 * 2 x 5 merges on the critical path instead of 31 serial merges per thread.
 */
#ifndef REWEIGH_CUDA_REDUCE_CUH
#define REWEIGH_CUDA_REDUCE_CUH

#include <stdint.h>

#include "../common/ce_row.h"

namespace reweigh {
namespace cuda {

constexpr int kWarp = 32;
constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kMaxWarps = 1024 / kWarp;
/* Scratch entries a block reduction needs: one per warp plus the broadcast slot. */
constexpr int kReduceSlots = kMaxWarps + 1;

__device__ __forceinline__ SoftmaxState warp_softmax_merge(SoftmaxState st) {
#pragma unroll
    for (int offset = kWarp / 2; offset > 0; offset /= 2) {
        SoftmaxState other;
        other.m = __shfl_xor_sync(kFullMask, st.m, offset);
        other.d = __shfl_xor_sync(kFullMask, st.d, offset);
        other.s = __shfl_xor_sync(kFullMask, st.s, offset);
        st = softmax_merge(st, other);
    }
    return st;
}

template <class T>
__device__ __forceinline__ T warp_sum(T x) {
#pragma unroll
    for (int offset = kWarp / 2; offset > 0; offset /= 2) {
        x += __shfl_xor_sync(kFullMask, x, offset);
    }
    return x;
}

/*
 * The block-wide step of [Note: deterministic reductions] for any merge:
 * `warp_reduce` merges within a warp, `identity` (the merge's neutral value)
 * fills the lanes past the last warp. Every thread gets the same result.
 * `scratch` holds kReduceSlots values; blockDim.x is a multiple of 32. Ends
 * with a barrier-free read of scratch: callers must __syncthreads() before
 * reusing it.
 */
template <class T, class WarpReduce>
__device__ __forceinline__ T block_reduce(T x, T* scratch, T identity, WarpReduce warp_reduce) {
    x = warp_reduce(x);
    const int lane = static_cast<int>(threadIdx.x) % kWarp;
    const int warp = static_cast<int>(threadIdx.x) / kWarp;
    if (lane == 0) scratch[warp] = x;
    __syncthreads();
    if (warp == 0) {
        const int warps = static_cast<int>(blockDim.x) / kWarp;
        T w = lane < warps ? scratch[lane] : identity;
        w = warp_reduce(w);
        if (lane == 0) scratch[kMaxWarps] = w;
    }
    __syncthreads();
    return scratch[kMaxWarps];
}

/* Block-wide merge of per-thread softmax states (block_reduce's contract). */
__device__ __forceinline__ SoftmaxState block_softmax_merge(SoftmaxState st, SoftmaxState* scratch) {
    return block_reduce(st, scratch, softmax_init(), [](SoftmaxState v) { return warp_softmax_merge(v); });
}

/* Block-wide sum (block_reduce's contract). */
template <class T>
__device__ __forceinline__ T block_sum(T x, T* scratch) {
    return block_reduce(x, scratch, T(0), [](T v) { return warp_sum(v); });
}

}  // namespace cuda
}  // namespace reweigh

#endif
