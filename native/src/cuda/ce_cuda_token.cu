/*
 * ce_cuda_token.cu: the CUDA driver of reweigh_ce_backward_rows (per-row
 * coefficients w_r and entropy coefficients beta_r, reweigh.h), the
 * counterpart of ../cpu/ce_token.cpp with the same semantics and messages.
 *
 * The order of work of ce_cuda.cu's drivers, on the caller's stream:
 * workspace, validation (labels, coefficients and D with k_s, rowLse,
 * rowWeights, with beta rowEntropyWeights and rowEntropy, each finite on
 * counted rows; the finite-logits scan when asked), the report of the
 * synchronous mode (the CPU's order of checks, the CPU's text), the gradient
 * rows (grad_rows.cu), the fold into the deferred status.
 * options.grad_scale multiplies k_s (common/sample_math.h), so it scales both
 * terms of every element, as on the CPU.
 */
#include <stdint.h>

#include "../common/errors.h"
#include "ce.cuh"
#include "ce_cuda.h"
#include "grad_rows.cuh"
#include "launch.cuh"
#include "workspace.cuh"

namespace reweigh {
namespace cuda {

void ce_backward_rows(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                      const float* row_lse, const float* row_entropy, const float* coefficients,
                      const float* row_weights, const float* row_entropy_weights, const reweigh_ce_grad_t& grad) {
    check_device(b);
    DeviceGuard guard(b.device_index);
    const cudaStream_t stream = stream_of(b);
    CallSettings settings = default_settings();
    settings.grad_scale = o.grad_scale;
    if (settings.async) raise_deferred(b.device_index);
    Workspace ws(b.device_index, stream,
                 Workspace::piece<DeviceStatus>(1) + Workspace::piece<int64_t>(b.samples) +
                     Workspace::piece<float>(b.samples));
    DeviceStatus* status = ws.take<DeviceStatus>(1);
    int64_t* counts = ws.take<int64_t>(b.samples);
    float* sample_k = ws.take<float>(b.samples);
    const bool with_entropy = row_entropy_weights != nullptr;

    const LabelArgs labels = make_label_args(b, o.ignore_index);
    reset_status(status, stream);
    launch_check_labels(labels, status, counts, stream);
    launch_normalizer(labels, o, settings, coefficients, counts, status, sample_k, stream);
    launch_check_lse(labels, row_lse, status, stream);
    launch_check_row_values(labels, row_weights, kRowWeight, status, stream);
    if (with_entropy) {
        launch_check_row_values(labels, row_entropy_weights, kRowEntropyWeight, status, stream);
        launch_check_row_values(labels, row_entropy, kRowEntropy, status, stream);
    }
    if (o.check_finite) launch_check_finite(b, o.ignore_index, status, stream);
    if (!settings.async) {
        ReportInputs extra = {};
        extra.row_weights = row_weights;
        extra.row_entropy_weights = row_entropy_weights;
        extra.row_entropy = with_entropy ? row_entropy : nullptr;
        report_status(b, o, status, coefficients, row_lse, stream, &extra);
    }

    GradRowsArgs a = grad_rows_args(b, o, p, 0, b.vocab);
    a.lse = row_lse;
    a.sample_k = sample_k;
    a.row_weights = row_weights;
    a.row_entropy_weights = row_entropy_weights;
    a.row_entropy = with_entropy ? row_entropy : nullptr;
    a.grad = grad.data;
    a.grad_stride = grad.row_stride;
    a.status = status;
    a.async = settings.async;
    launch_grad_rows(b.logits_dtype, a, stream);
    launch_fold_status(status, settings.async, b.rows, b.vocab, b.device_index, stream);
}

}  // namespace cuda
}  // namespace reweigh
