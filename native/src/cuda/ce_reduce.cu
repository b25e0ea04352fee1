/*
 * ce_reduce.cu: per-sample statistics from the per-row results, and the
 * objective total = sum_s c_s * loss_s / D, on the device and deterministic
 * (the CUDA counterpart of reduce_samples in ../cpu/ce_cpu.cpp).
 *
 * No float atomics: one warp per sample, lane l sums rows lo + l, lo + l + 32,
 * ... in fp64 and the warp combines the 32 partial sums in a fixed butterfly
 * (see [Note: deterministic reductions] in reduce.cuh), so a sample's sums
 * are the same bits on every run and any grid size. They differ from the
 * CPU's strictly serial fp64 order only in the last bits of a double, far
 * below the fp32 outputs' resolution. The total is one block with a fixed
 * partition of samples over threads and the same fixed reduction.
 */
#include <stdint.h>

#include "ce.cuh"
#include "launch.cuh"
#include "reduce.cuh"

namespace reweigh {
namespace cuda {
namespace {

constexpr int kThreads = 256;

__global__ void sample_reduce_kernel(SampleArgs a, reweigh_ce_stats_t out) {
    const int lane = static_cast<int>(threadIdx.x) % kWarp;
    const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarp);
    for (int64_t s = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp; s < a.samples;
         s += warps) {
        const int64_t lo = load_index(a.offsets, a.offsets_dtype, s);
        const int64_t hi = load_index(a.offsets, a.offsets_dtype, s + 1);
        double loss = 0.0, logp = 0.0, entropy = 0.0;
        for (int64_t r = lo + lane; r < hi; r += kWarp) {
            /* Ignored rows hold exact zeros, so they add nothing. */
            loss += a.row_loss[r];
            logp += a.row_logp[r];
            entropy += a.row_entropy[r];
        }
        loss = warp_sum(loss);
        logp = warp_sum(logp);
        entropy = warp_sum(entropy);
        if (lane != 0) continue; /* lane 0's bracketing is the published one */
        const int64_t n = a.counts[s];
        if (n > 0) {
            if (a.token_reduction == REWEIGH_TOKEN_REDUCTION_MEAN) loss /= static_cast<double>(n);
            entropy /= static_cast<double>(n);
        }
        if (a.coefficients != nullptr) {
            a.weighted[s] = n > 0 ? static_cast<double>(a.coefficients[s]) * loss : 0.0;
        }
        if (out.loss != nullptr) out.loss[s] = static_cast<float>(loss);
        if (out.log_prob_sum != nullptr) out.log_prob_sum[s] = static_cast<float>(logp);
        if (out.token_count != nullptr) out.token_count[s] = n;
        if (out.mean_entropy != nullptr) out.mean_entropy[s] = static_cast<float>(entropy);
    }
}

__global__ void __launch_bounds__(kThreads) total_kernel(const double* weighted, int64_t samples,
                                                          const DeviceStatus* st, double* total) {
    __shared__ double partial[kThreads / kWarp];
    double acc = 0.0;
    for (int64_t s = threadIdx.x; s < samples; s += blockDim.x) acc += weighted[s];
    const double sum = block_sum(acc, partial);
    if (threadIdx.x == 0) *total = sum / st->normalizer;
}

}  // namespace

void launch_sample_reduce(const SampleArgs& a, const reweigh_ce_stats_t& stats, cudaStream_t stream) {
    launch("sample_reduce_kernel", sample_reduce_kernel, grid_for(a.samples, kThreads / kWarp), kThreads, 0, stream,
           a, stats);
}

void launch_total(const double* weighted, int64_t samples, const DeviceStatus* status, double* total,
                  cudaStream_t stream) {
    launch("total_kernel", total_kernel, 1, kThreads, 0, stream, weighted, samples, status, total);
}

}  // namespace cuda
}  // namespace reweigh
