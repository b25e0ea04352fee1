/*
 * ce_cuda.h: what the ABI layer (src/api) asks of the CUDA backend.
 *
 * Implemented by the .cu files of this folder when the library is built with
 * CUDA, and by cuda_disabled.cpp otherwise (every kernel entry then fails with
 * REWEIGH_STATUS_UNSUPPORTED, and the facts report "no CUDA").
 *
 * The api layer has already run validate_batch / validate_options /
 * validate_grad on the arguments; the content of targets, offsets and
 * coefficients lives on the device and is validated there. Errors are thrown
 * as reweigh::Error (errors.h); nothing here may abort.
 */
#ifndef REWEIGH_CUDA_CE_CUDA_H
#define REWEIGH_CUDA_CE_CUDA_H

#include <stdint.h>

#include "../common/ce_row.h"
#include "reweigh/reweigh.h"

namespace reweigh {
namespace cuda {

bool compiled();
/* 0 without a driver or a device; never throws. */
int32_t device_count();
/* "" when a device is usable, else why not (the first CUDA error or the build); never NULL. */
const char* unavailable_reason();
/*
 * Whether this process already holds a CUDA context (current or primary),
 * asked without creating one: only then can a pointer be device memory.
 */
bool context_exists();
/* CPU for host memory unknown to CUDA; never throws for a valid host pointer. */
void pointer_device(const void* ptr, int32_t* device_type, int32_t* device_index);

/* Per-call settings beyond reweigh_ce_options_t. */
struct CallSettings {
    bool async = false;          /* validation results read later (reweigh_cuda_set_validation_mode) */
    float grad_scale = 1.0f;     /* multiplies every gradient element (fp16 gradients, GradScaler style) */
    double* normalizer = nullptr; /* device pointer receiving D, or NULL */
};
/* The calling thread's validation mode (reweigh_cuda_set_validation_mode), grad scale 1, no D output. */
CallSettings default_settings();

void ce_forward(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options, const RowParams& params,
                const reweigh_ce_stats_t& stats);

void ce_backward(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options, const RowParams& params,
                 const float* row_lse, const float* coefficients, const reweigh_ce_grad_t& grad);
void ce_backward(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options, const RowParams& params,
                 const float* row_lse, const float* coefficients, const reweigh_ce_grad_t& grad,
                 const CallSettings& settings);

void ce_forward_backward(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options,
                         const RowParams& params, const float* coefficients, const reweigh_ce_stats_t& stats,
                         const reweigh_ce_grad_t& grad, double* total);
void ce_forward_backward(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options,
                         const RowParams& params, const float* coefficients, const reweigh_ce_stats_t& stats,
                         const reweigh_ce_grad_t& grad, double* total, const CallSettings& settings);

/* reweigh_ce_backward_rows (ce_cuda_token.cu): row_entropy and row_entropy_weights NULL together without beta. */
void ce_backward_rows(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options, const RowParams& params,
                      const float* row_lse, const float* row_entropy, const float* coefficients,
                      const float* row_weights, const float* row_entropy_weights, const reweigh_ce_grad_t& grad);

/* reweigh_policy_forward_backward (ce_cuda_policy.cu): every array in the batch's device memory. */
void policy_forward_backward(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options,
                             const RowParams& params, const reweigh_policy_options_t& policy,
                             const reweigh_policy_rows_t& rows, const reweigh_policy_result_t& result,
                             const reweigh_ce_grad_t& grad);

/*
 * Vocabulary-sharded partials (ce_cuda_sharded.cu): the shard batch, its first vocabulary index and
 * the whole vocabulary; every partials array is [rows] fp32 in the batch's device memory.
 */
void ce_partial_forward(const reweigh_ce_batch_t& shard, int64_t vocab_offset, int64_t vocab_total,
                        const reweigh_ce_options_t& options, const RowParams& params,
                        const reweigh_ce_partials_t& partials);
/* stats may be NULL; total (a device double) needs coefficients. */
void ce_sharded_stats(const reweigh_ce_batch_t& shard, int64_t vocab_total, const reweigh_ce_options_t& options,
                      const RowParams& params, const reweigh_ce_partials_t& combined, const float* coefficients,
                      const reweigh_ce_stats_t* stats, double* total);
void ce_sharded_backward(const reweigh_ce_batch_t& shard, int64_t vocab_offset, int64_t vocab_total,
                         const reweigh_ce_options_t& options, const RowParams& params,
                         const reweigh_ce_partials_t& combined, const float* coefficients,
                         const reweigh_ce_grad_t& grad);

/*
 * The combine of device partials (ce_cuda_sharded.cu): `space` gives the device and stream only
 * (device_type CUDA, device_index, stream; its other fields are not read); every array is [rows] fp32
 * on that device. The rebase checks globalMax against max first (the CPU's message, both validation modes).
 */
void ce_partials_merge(const reweigh_ce_batch_t& space, int64_t rows, const reweigh_ce_partials_t& from,
                       const reweigh_ce_partials_t& into);
void ce_partials_rebase(const reweigh_ce_batch_t& space, int64_t rows, const float* global_max,
                        const reweigh_ce_partials_t& partials);
/* D of the batch (reweigh_ce_normalizer) into the device double `normalizer`; coefficients may be NULL. */
void ce_normalizer(const reweigh_ce_batch_t& batch, int64_t vocab_total, const reweigh_ce_options_t& options,
                   const float* coefficients, double* normalizer);

}  // namespace cuda
}  // namespace reweigh

#endif
