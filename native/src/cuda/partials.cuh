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

}  // namespace cuda
}  // namespace reweigh

#endif
