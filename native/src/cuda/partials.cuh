/*
 * partials.cuh: the row kernels of vocabulary-sharded partials on the device
 * (partials.cu): a shard's per-row partials, and the per-row results of
 * combined partials. The math is ../common/ce_partial.h and ce_row.h, shared
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
    const void* logits; /* the shard: [rows, vocab], columns [vocab_offset, vocab_offset + vocab) */
    int64_t rows;
    int64_t vocab;
    int64_t stride;
    const void* targets; /* global indices */
    int32_t targets_dtype;
    int64_t ignore_index;
    RowParams params;
    int64_t vocab_offset;
    int64_t vocab_total;
    reweigh_ce_partials_t partials; /* device arrays: outputs of the partial forward, inputs of the finish */
    float* lse;                     /* finish: per-row outputs [rows] */
    float* logp;
    float* entropy;
    float* loss;
    DeviceStatus* status; /* row guard; asynchronous mode reads it first */
    int32_t async;
};

PartialArgs partial_args(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                         int64_t vocab_offset, int64_t vocab_total, const reweigh_ce_partials_t& partials);

/* partials[r] of the shard (ignored rows: max = -inf, the rest 0). */
void launch_partial_forward(int32_t logits_dtype, const PartialArgs& a, cudaStream_t stream);
/* lse, logp, entropy, loss of every row from combined partials (ignored rows: 0). */
void launch_finish_combined(const PartialArgs& a, cudaStream_t stream);

}  // namespace cuda
}  // namespace reweigh

#endif
