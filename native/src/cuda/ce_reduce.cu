/*
 * ce_reduce.cu: per-sample statistics from the per-row results, and the
 * objective total = sum_s c_s * loss_s / D (0 for D = 0), on the device and deterministic
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

__global__ void sample_reduce_kernel(SampleArgs a, int64_t rows, reweigh_ce_stats_t out) {
    if (a.async && validation_failed(a.status)) return;
    const int lane = static_cast<int>(threadIdx.x) % kWarp;
    const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarp);
    for (int64_t s = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp; s < a.samples;
         s += warps) {
        int64_t lo, hi;
        sample_rows(a.offsets, a.offsets_dtype, s, rows, &lo, &hi);
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
                                                          const DeviceStatus* st, int32_t async, double* total) {
    REWEIGH_DYNAMIC_SMEM(double, partial);
    if (async && validation_failed(st)) return;
    double acc = 0.0;
    for (int64_t s = threadIdx.x; s < samples; s += blockDim.x) acc += weighted[s];
    const double sum = block_sum(acc, partial);
    if (threadIdx.x == 0) *total = objective_total(sum, st->normalizer);
}

}  // namespace

void launch_sample_reduce(const SampleArgs& a, int64_t rows, const reweigh_ce_stats_t& stats, cudaStream_t stream) {
    launch("sample_reduce_kernel", sample_reduce_kernel, grid_for(a.samples, kThreads / kWarp), kThreads, 0, stream,
           a, rows, stats);
}

void launch_total(const double* weighted, int64_t samples, const DeviceStatus* status, int32_t async, double* total,
                  cudaStream_t stream) {
    launch("total_kernel", total_kernel, 1, kThreads, sizeof(double) * kReduceSlots, stream, weighted, samples,
           status, async, total);
}

}  // namespace cuda
}  // namespace reweigh
