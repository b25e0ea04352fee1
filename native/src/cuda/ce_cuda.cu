/*
 * ce_cuda.cu: the CUDA drivers of forward, backward and forwardBackward
 * (ce_cuda.h), the counterpart of ../cpu/ce_cpu.cpp with the same semantics.
 *
 * Order of work in every call, all on the caller's stream (batch.stream):
 *   1. the cached workspace of (device, stream) (workspace.cuh): status
 *      block, token counts, k_s, per-row buffers the caller did not supply,
 *      cross-block partials;
 *   2. validation kernels (ce_validate.cu): offsets, targets, coefficients,
 *      D, rowLse, optional finite-logits scan; then, in the default
 *      synchronous mode, the call's only host synchronisation (report_status:
 *      one small D2H copy + stream sync) so bad input returns
 *      INVALID_ARGUMENT / NON_FINITE_INPUT before anything is written. See
 *      [Note: device validation and the one host sync]. In asynchronous mode
 *      there is no synchronisation: the later kernels skip their work after
 *      a failed check and the failure is reported later;
 *   3. the row kernels (ce_rows.cu);
 *   4. per-sample fp64 sums and the total (ce_reduce.cu), deterministic;
 *   5. the fold of this call's failures into the deferred status.
 * The call returns after queueing 3 to 5: outputs are ready when the
 * caller's stream reaches that point (as for any CUDA library call).
 */
#include <stdint.h>

#include "../common/errors.h"
#include "call_scope.cuh"
#include "ce.cuh"
#include "ce_cuda.h"
#include "launch.cuh"
#include "workspace.cuh"

namespace reweigh {
namespace cuda {
namespace {

thread_local bool t_async = false; /* reweigh_cuda_set_validation_mode of this thread */

/* Everything between "validated" and "rows computed", shared by the three drivers. */
void finish_validation(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const CallSettings& settings,
                       const DeviceStatus* status, const float* coefficients, const float* row_lse,
                       cudaStream_t stream) {
    if (!settings.async) report_status(b, o, status, coefficients, row_lse, stream);
}

}  // namespace

cudaStream_t stream_of(const reweigh_ce_batch_t& b) {
    return reinterpret_cast<cudaStream_t>(static_cast<uintptr_t>(b.stream));
}

void check_device(const reweigh_ce_batch_t& b) {
    const int32_t n = device_count();
    if (n == 0) {
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "batch.device_type is CUDA but no CUDA device is available (%s)",
                     unavailable_reason());
    }
    REWEIGH_CHECK_ARG(b.device_index >= 0 && b.device_index < n,
                      "batch.device_index = %d is not a CUDA device (this process sees %d)", b.device_index, n);
    check_compute_capability(b.device_index);
}

RowArgs row_args(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p) {
    RowArgs a;
    a.logits = b.logits;
    a.rows = b.rows;
    a.vocab = b.vocab;
    a.stride = b.logits_row_stride;
    a.targets = b.targets;
    a.targets_dtype = b.targets_dtype;
    a.offsets_dtype = b.offsets_dtype;
    a.offsets = b.offsets;
    a.samples = b.samples;
    a.ignore_index = o.ignore_index;
    a.params = p;
    a.lse = a.logp = a.entropy = a.loss = nullptr;
    a.in_lse = nullptr;
    a.sample_k = nullptr;
    a.grad = nullptr;
    a.grad_stride = 0;
    a.status = nullptr;
    a.async = 0;
    return a;
}

/* Per-row outputs: the caller's buffer when given, else a workspace piece. */
size_t row_outputs_bytes(const reweigh_ce_stats_t& s, int64_t rows) {
    const int owned = 1 /* row loss */ + (s.row_lse == nullptr) + (s.row_logp == nullptr) + (s.row_entropy == nullptr);
    return static_cast<size_t>(owned) * Workspace::piece<float>(rows);
}

void take_row_outputs(Workspace& ws, const reweigh_ce_stats_t& s, int64_t rows, RowArgs& a) {
    auto take = [&](float* given) { return given != nullptr ? given : ws.take<float>(rows); };
    a.loss = take(nullptr);
    a.lse = take(s.row_lse);
    a.logp = take(s.row_logp);
    a.entropy = take(s.row_entropy);
}

void reduce_samples(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const int64_t* counts,
                    const float* loss, const float* logp, const float* entropy, const float* coefficients,
                    double* weighted, const DeviceStatus* status, bool async, const reweigh_ce_stats_t& stats,
                    double* total, cudaStream_t stream) {
    SampleArgs sums;
    sums.offsets = b.offsets;
    sums.offsets_dtype = b.offsets_dtype;
    sums.samples = b.samples;
    sums.token_reduction = o.token_reduction;
    sums.counts = counts;
    sums.row_loss = loss;
    sums.row_logp = logp;
    sums.row_entropy = entropy;
    sums.coefficients = coefficients;
    sums.weighted = weighted;
    sums.status = status;
    sums.async = async;
    launch_sample_reduce(sums, b.rows, stats, stream);
    if (total != nullptr) launch_total(weighted, b.samples, status, async, total, stream);
}

CallSettings default_settings() {
    CallSettings s;
    s.async = t_async;
    return s;
}

void set_validation_async(bool async) { t_async = async; }

bool validation_async() { return t_async; }


void ce_forward(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                const reweigh_ce_stats_t& stats) {
    LabelCall lc(b, o, default_settings(), false, row_outputs_bytes(stats, b.rows), b.vocab);
    const CallSettings& settings = lc.call.settings;
    const cudaStream_t stream = lc.call.stream;
    DeviceStatus* status = lc.scratch.status;
    if (o.check_finite) launch_check_finite(b, o.ignore_index, status, stream);
    finish_validation(b, o, settings, status, nullptr, nullptr, stream);

    RowArgs rows = lc.rows(b, o, p);
    take_row_outputs(lc.ws, stats, b.rows, rows);
    launch_rows(RowMode::Forward, b.logits_dtype, rows, nullptr, stream);
    reduce_samples(b, o, lc.scratch.counts, rows.loss, rows.logp, rows.entropy, nullptr, nullptr, status,
                   settings.async, stats, nullptr, stream);
    launch_fold_status(status, settings.async, b.rows, b.vocab, b.device_index, stream);
}

void ce_backward(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                 const float* row_lse, const float* coefficients, const reweigh_ce_grad_t& grad) {
    ce_backward(b, o, p, row_lse, coefficients, grad, scaled_settings(o.grad_scale));
}

void ce_backward(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                 const float* row_lse, const float* coefficients, const reweigh_ce_grad_t& grad,
                 const CallSettings& call_settings) {
    const size_t split_bytes = rows_workspace_bytes(RowMode::Backward, b.logits_dtype, row_args(b, o, p));
    LabelCall lc(b, o, call_settings, true, Workspace::piece<char>(static_cast<int64_t>(split_bytes)), b.vocab);
    const CallSettings& settings = lc.call.settings;
    const cudaStream_t stream = lc.call.stream;
    DeviceStatus* status = lc.scratch.status;
    float* sample_k = lc.scratch.sample_k;
    void* split = lc.ws.take<char>(static_cast<int64_t>(split_bytes));

    launch_normalizer(lc.labels, o, settings, coefficients, lc.scratch.counts, status, sample_k, stream);
    launch_check_lse(lc.labels, row_lse, status, stream);
    if (o.check_finite) launch_check_finite(b, o.ignore_index, status, stream);
    finish_validation(b, o, settings, status, coefficients, row_lse, stream);

    RowArgs rows = lc.rows(b, o, p);
    rows.in_lse = row_lse;
    rows.sample_k = sample_k;
    rows.grad = grad.data;
    rows.grad_stride = grad.row_stride;
    launch_rows(RowMode::Backward, b.logits_dtype, rows, split, stream);
    launch_fold_status(status, settings.async, b.rows, b.vocab, b.device_index, stream);
}

void ce_forward_backward(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                         const float* coefficients, const reweigh_ce_stats_t& stats, const reweigh_ce_grad_t& grad,
                         double* total) {
    ce_forward_backward(b, o, p, coefficients, stats, grad, total, scaled_settings(o.grad_scale));
}

void ce_forward_backward(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p,
                         const float* coefficients, const reweigh_ce_stats_t& stats, const reweigh_ce_grad_t& grad,
                         double* total, const CallSettings& call_settings) {
    const size_t split_bytes = rows_workspace_bytes(RowMode::ForwardBackward, b.logits_dtype, row_args(b, o, p));
    LabelCall lc(b, o, call_settings, true,
                 Workspace::piece<double>(b.samples) + row_outputs_bytes(stats, b.rows) +
                     Workspace::piece<char>(static_cast<int64_t>(split_bytes)),
                 b.vocab);
    const CallSettings& settings = lc.call.settings;
    const cudaStream_t stream = lc.call.stream;
    Workspace& ws = lc.ws;
    DeviceStatus* status = lc.scratch.status;
    float* sample_k = lc.scratch.sample_k;
    double* weighted = ws.take<double>(b.samples);

    launch_normalizer(lc.labels, o, settings, coefficients, lc.scratch.counts, status, sample_k, stream);
    if (o.check_finite) launch_check_finite(b, o.ignore_index, status, stream);
    finish_validation(b, o, settings, status, coefficients, nullptr, stream);

    RowArgs rows = lc.rows(b, o, p);
    take_row_outputs(ws, stats, b.rows, rows);
    rows.sample_k = sample_k;
    rows.grad = grad.data;
    rows.grad_stride = grad.row_stride;
    launch_rows(RowMode::ForwardBackward, b.logits_dtype, rows, ws.take<char>(static_cast<int64_t>(split_bytes)),
                stream);

    reduce_samples(b, o, lc.scratch.counts, rows.loss, rows.logp, rows.entropy, coefficients, weighted, status,
                   settings.async, stats, total, stream);
    launch_fold_status(status, settings.async, b.rows, b.vocab, b.device_index, stream);
}

}  // namespace cuda
}  // namespace reweigh
