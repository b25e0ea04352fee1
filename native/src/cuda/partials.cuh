/*
 * partials.cuh: the row kernels of vocabulary-sharded partials on the device
 * (partials.cu): a shard's per-row partials, and the per-row results of
 * combined partials; and their combine (partials_combine.cu). The math is ../common/ce_partial.h and ce_row.h, shared
 * with the CPU driver (../cpu/ce_sharded.cpp).
 */
#ifndef REWEIGH_CUDA_PARTIALS_CUH
#define REWEIGH_CUDA_PARTIALS_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#include "ce.cuh"

namespace reweigh {
namespace cuda {

struct PartialArgs {
    /* The shard batch (columns [vocab_offset, vocab_offset + vocab); targets are global), the finish's per-row
     * outputs lse, logp, entropy, loss, status and async (ce.cuh). */
    RowArgs row;
    int64_t vocab_offset;
    int64_t vocab_total;
    reweigh_ce_partials_t partials; /* device arrays: outputs of the partial forward, inputs of the finish */
};

/* partials[r] of the shard (ignored rows: max = -inf, the rest 0). */
void launch_partial_forward(int32_t logits_dtype, const PartialArgs& a, cudaStream_t stream);
/* lse, logp, entropy, loss of every row from combined partials (ignored rows: 0). */
void launch_finish_combined(const PartialArgs& a, cudaStream_t stream);

/* partials_combine.cu: one thread per row, the math of ../common/ce_partial.h. */
/* into[r] <- merge(into[r], from[r]) (partial_merge_row). */
void launch_partials_merge(int64_t rows, const reweigh_ce_partials_t& from, const reweigh_ce_partials_t& into,
                           cudaStream_t stream);
/* Rows whose global_max lies below their max (global_max_ok) record kGlobalMax. */
void launch_check_global_max(int64_t rows, const float* global_max, const float* max, DeviceStatus* status,
                             cudaStream_t stream);
/* Synchronous mode: one status copy + stream sync, then the CPU's message for kGlobalMax; also raises a
 * deferred status left by an earlier call. */
void report_global_max(const DeviceStatus* status, const float* global_max, const float* max, int device,
                       cudaStream_t stream);
/* Every row rebased to global_max (partial_rebase_row); writes nothing when async and a check failed. */
void launch_partials_rebase(int64_t rows, const float* global_max, const reweigh_ce_partials_t& partials,
                            const DeviceStatus* status, bool async, cudaStream_t stream);
/* *out = the normaliser kernel's D unless a check of this call failed. */
void launch_publish_normalizer(const DeviceStatus* status, double* out, cudaStream_t stream);

}  // namespace cuda
}  // namespace reweigh

#endif
