/*
 * partials_combine.cu: the combine of vocabulary-sharded partials on the
 * device (partials.cuh): the pairwise merge, the check and rebase to a
 * global max (the MAX-then-SUM route of a collective such as an NCCL
 * all-reduce), and the publication of a normaliser D. One thread per row;
 * the per-row math is ../common/ce_partial.h, the same functions the CPU
 * driver runs (../cpu/ce_sharded.cpp), so a row combines to the same floats
 * on both (expf of the device math library aside).
 */
#include <stdint.h>

#include "../common/ce_partial.h"
#include "../common/row_check.h"
#include "launch.cuh"
#include "partials.cuh"

namespace reweigh {
namespace cuda {
namespace {

constexpr int kThreads = 256;
/* The normaliser's publish: one thread works; a launch takes whole warps. */
constexpr int kPublishThreads = 32;

__device__ __forceinline__ int64_t first_row() {
    return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t row_step() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

__global__ void merge_kernel(int64_t rows, reweigh_ce_partials_t from, reweigh_ce_partials_t into) {
    for (int64_t r = first_row(); r < rows; r += row_step()) partial_merge_row(from, into, r);
}

__global__ void check_global_max_kernel(int64_t rows, const float* global_max, const float* max, DeviceStatus* st) {
    for (int64_t r = first_row(); r < rows; r += row_step()) {
        if (!global_max_ok(global_max[r], max[r])) record(st, kGlobalMax, r);
    }
}

/* After the check: the status is complete before this kernel starts (same stream). */
__global__ void rebase_kernel(int64_t rows, const float* global_max, reweigh_ce_partials_t p, const DeviceStatus* st,
                              int32_t async) {
    if (async && validation_failed(st)) return; /* uniform over the grid: nothing written */
    for (int64_t r = first_row(); r < rows; r += row_step()) partial_rebase_row(global_max, p, r);
}

__global__ void publish_normalizer_kernel(const DeviceStatus* st, double* out) {
    if (threadIdx.x == 0 && !validation_failed(st)) *out = st->normalizer;
}

}  // namespace

void launch_partials_merge(int64_t rows, const reweigh_ce_partials_t& from, const reweigh_ce_partials_t& into,
                           cudaStream_t stream) {
    if (rows == 0) return;
    launch("merge_kernel", merge_kernel, grid_for(rows, kThreads), kThreads, 0, stream, rows, from, into);
}

void launch_check_global_max(int64_t rows, const float* global_max, const float* max, DeviceStatus* status,
                             cudaStream_t stream) {
    if (rows == 0) return;
    launch("check_global_max_kernel", check_global_max_kernel, grid_for(rows, kThreads), kThreads, 0, stream, rows,
           global_max, max, status);
}

void report_global_max(const DeviceStatus* status, const float* global_max, const float* max, int device,
                       cudaStream_t stream) {
    DeviceStatus h;
    REWEIGH_CUDA_CHECK(cudaMemcpyAsync(&h, status, sizeof h, cudaMemcpyDeviceToHost, stream));
    REWEIGH_CUDA_CHECK(cudaStreamSynchronize(stream));
    if (h.first_bad[kGlobalMax] != kNone) {
        const int64_t r = static_cast<int64_t>(h.first_bad[kGlobalMax]);
        float g = 0.0f, m = 0.0f;
        REWEIGH_CUDA_CHECK(cudaMemcpy(&g, global_max + r, sizeof g, cudaMemcpyDeviceToHost));
        REWEIGH_CUDA_CHECK(cudaMemcpy(&m, max + r, sizeof m, cudaMemcpyDeviceToHost));
        check_global_max(r, g, m);
    }
    raise_deferred(device);
}

void launch_partials_rebase(int64_t rows, const float* global_max, const reweigh_ce_partials_t& partials,
                            const DeviceStatus* status, bool async, cudaStream_t stream) {
    if (rows == 0) return;
    launch("rebase_kernel", rebase_kernel, grid_for(rows, kThreads), kThreads, 0, stream, rows, global_max, partials,
           status, static_cast<int32_t>(async ? 1 : 0));
}

void launch_publish_normalizer(const DeviceStatus* status, double* out, cudaStream_t stream) {
    launch("publish_normalizer_kernel", publish_normalizer_kernel, 1, kPublishThreads, 0, stream, status, out);
}

}  // namespace cuda
}  // namespace reweigh
