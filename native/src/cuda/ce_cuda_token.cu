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
#include "call_scope.cuh"
#include "ce.cuh"
#include "ce_cuda.h"
#include "grad_rows.cuh"
#include "row_drivers.cuh"

namespace reweigh {
namespace cuda {
void ce_backward_rows(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                      const float* row_lse, const float* row_entropy, const float* coefficients,
                      const float* row_weights, const float* row_entropy_weights, const reweigh_ce_grad_t& grad) {
    const CallScope call(b, o.grad_scale);
    Workspace ws(b.device_index, call.stream, LabelScratch::bytes(b.samples, true));
    const LabelScratch scratch(ws, b.samples, true);
    const bool with_entropy = row_entropy_weights != nullptr;
    const float* entropy = with_entropy ? row_entropy : nullptr;

    const LabelArgs labels = make_label_args(b, o.ignore_index);
    reset_status(scratch.status, call.stream);
    launch_check_labels(labels, scratch.status, scratch.counts, call.stream);
    launch_normalizer(labels, o, call.settings, coefficients, scratch.counts, scratch.status, scratch.sample_k,
                      call.stream);
    launch_check_lse(labels, row_lse, scratch.status, call.stream);
    ReportInputs extra = {};
    extra.row_weights = row_weights;
    launch_check_row_values(labels, row_weights, kRowWeight, scratch.status, call.stream);
    if (with_entropy) {
        extra.row_entropy_weights = row_entropy_weights;
        extra.row_entropy = entropy;
        launch_check_row_values(labels, row_entropy_weights, kRowEntropyWeight, scratch.status, call.stream);
        launch_check_row_values(labels, entropy, kRowEntropy, scratch.status, call.stream);
    }
    finish_validation(call, b, o, scratch.status, coefficients, row_lse, extra);

    GradRowsArgs a = {};
    a.row = grad_row_args(b, o, p, grad, scratch.status, call.settings.async);
    a.row.in_lse = row_lse;
    a.row.sample_k = scratch.sample_k;
    a.vocab_total = b.vocab;
    a.row_weights = row_weights;
    a.row_entropy_weights = row_entropy_weights;
    a.row_entropy = entropy;
    launch_grad_rows(b.logits_dtype, a, call.stream);
    launch_fold_status(scratch.status, call.settings.async, b.rows, b.vocab, b.device_index, call.stream);
}

}  // namespace cuda
}  // namespace reweigh
