/*
 * ce_cuda_policy.cu: the CUDA driver of reweigh_policy_forward_backward (the
 * one-pass policy-gradient step, reweigh.h), the counterpart of
 * ../cpu/ce_policy.cpp with the same semantics and messages.
 *
 * The order of work of the other drivers (ce_cuda_token.cu), on the caller's
 * stream: workspace; validation (labels; oldLogp and advantages under
 * CLIPPED, refLogp with the KL term, entropyWeights when given, each finite
 * on counted rows; the finite-logits scan when asked); the report of the
 * synchronous mode (the CPU's order of checks, the CPU's text); the level's
 * totals; the row kernel (policy_rows.cu); the objective and clip counts; the
 * fold into the deferred status. Every array of the call (inputs, per-row
 * results, objective, clip counts) lives in the batch's device memory; a
 * result pointer that is NULL gets a workspace piece instead.
 */
#include <stdint.h>

#include "../common/errors.h"
#include "call_scope.cuh"
#include "ce.cuh"
#include "ce_cuda.h"
#include "policy_rows.cuh"
#include "row_drivers.cuh"

namespace reweigh {
namespace cuda {
namespace {

/* The caller's result buffer when given, else a workspace piece. */
template <class T>
T* result_buffer(Workspace& ws, T* given, int64_t count) {
    return given != nullptr ? given : ws.take<T>(count);
}

template <class T>
size_t result_bytes(const T* given, int64_t count) {
    return given != nullptr ? 0 : Workspace::piece<T>(count);
}

}  // namespace

void policy_forward_backward(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                             const reweigh_policy_options_t& policy, const reweigh_policy_rows_t& in,
                             const reweigh_policy_result_t& out, const reweigh_ce_grad_t& grad) {
    const CallScope call(b, o.grad_scale);
    const bool clipped = policy.loss == REWEIGH_POLICY_LOSS_CLIPPED;
    const bool kl = clipped && policy.kl_coefficient > 0.0;
    const float* old_logp = clipped ? in.old_logp : nullptr;
    const float* advantages = clipped ? in.advantages : nullptr;
    const float* ref_logp = kl ? in.ref_logp : nullptr;
    const float* beta = in.entropy_weights;
    const int64_t n = b.rows;
    const size_t bytes = LabelScratch::bytes(b.samples, false) + Workspace::piece<int64_t>(2) +
                         2 * Workspace::piece<double>(n) + result_bytes(out.row_logp, n) +
                         result_bytes(out.row_entropy, n) + result_bytes(out.row_weights, n) +
                         result_bytes(out.row_clipped, n) + result_bytes(out.objective, 1) +
                         result_bytes(out.clip_counts, 2);
    Workspace ws(b.device_index, call.stream, bytes);
    const LabelScratch scratch(ws, b.samples, false);

    const LabelArgs labels = make_label_args(b, o.ignore_index);
    reset_status(scratch.status, call.stream);
    launch_check_labels(labels, scratch.status, scratch.counts, call.stream);
    if (old_logp != nullptr) launch_check_row_values(labels, old_logp, kOldLogp, scratch.status, call.stream);
    if (advantages != nullptr) launch_check_row_values(labels, advantages, kAdvantages, scratch.status, call.stream);
    if (ref_logp != nullptr) launch_check_row_values(labels, ref_logp, kRefLogp, scratch.status, call.stream);
    if (beta != nullptr) launch_check_row_values(labels, beta, kEntropyWeights, scratch.status, call.stream);
    ReportInputs extra = {};
    extra.old_logp = old_logp;
    extra.advantages = advantages;
    extra.ref_logp = ref_logp;
    extra.entropy_weights = beta;
    finish_validation(call, b, o, scratch.status, nullptr, nullptr, extra);

    PolicyRowsArgs a = {};
    a.row = grad_row_args(b, o, p, grad, scratch.status, call.settings.async);
    a.row.logp = result_buffer(ws, out.row_logp, n);
    a.row.entropy = result_buffer(ws, out.row_entropy, n);
    a.policy = policy;
    a.counts = scratch.counts;
    int64_t* totals = ws.take<int64_t>(2);
    a.totals = totals;
    a.old_logp = old_logp;
    a.advantages = advantages;
    a.ref_logp = ref_logp;
    a.entropy_weights = beta;
    a.grad_scale = o.grad_scale;
    a.weights = result_buffer(ws, out.row_weights, n);
    a.clipped = result_buffer(ws, out.row_clipped, n);
    a.policy_loss = ws.take<double>(n);
    a.entropy_term = ws.take<double>(n);
    a.objective = result_buffer(ws, out.objective, 1);
    a.clip_counts = result_buffer(ws, out.clip_counts, 2);
    launch_policy_totals(a, totals, call.stream);
    launch_policy_rows(b.logits_dtype, a, call.stream);
    launch_policy_objective(a, call.stream);
    launch_fold_status(scratch.status, call.settings.async, b.rows, b.vocab, b.device_index, call.stream);
}

}  // namespace cuda
}  // namespace reweigh
