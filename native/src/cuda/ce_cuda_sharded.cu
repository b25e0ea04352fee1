/*
 * ce_cuda_sharded.cu: the CUDA drivers of vocabulary-sharded partials
 * (reweigh.h): partial forward, statistics from combined partials, and a
 * shard's slice of the gradient; the counterpart of ../cpu/ce_sharded.cpp
 * with the same semantics and messages. The merge and rebase of partials are
 * host code (reweigh_ce_partials_merge / _rebase); a device batch's partials
 * are [rows] fp32 arrays in its device memory, as every other per-row array
 * of a CUDA call, so a collective (NCCL all-reduce) reads them in place.
 *
 * The order of work of ce_cuda.cu's drivers, on the caller's stream:
 * workspace, validation (targets against the whole vocabulary, coefficients
 * and D, the combined rows' lse, the finite-logits scan when asked), the
 * report of the synchronous mode, the row kernels (partials.cu,
 * grad_rows.cu), per-sample sums (ce_reduce.cu), the fold into the deferred
 * status.
 */
#include <stdint.h>

#include "../common/errors.h"
#include "ce.cuh"
#include "ce_cuda.h"
#include "grad_rows.cuh"
#include "launch.cuh"
#include "partials.cuh"
#include "workspace.cuh"

namespace reweigh {
namespace cuda {
namespace {

/* Labels checked against the whole vocabulary (a shard holds a slice of the columns, not of the targets). */
LabelArgs shard_labels(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, int64_t vocab_total) {
    LabelArgs a = make_label_args(b, o.ignore_index);
    a.vocab = vocab_total;
    return a;
}

void report_shard(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const CallSettings& settings,
                  const DeviceStatus* status, const float* coefficients, const reweigh_ce_partials_t* combined,
                  int64_t vocab_total, cudaStream_t stream) {
    if (settings.async) return;
    ReportInputs extra = {};
    extra.vocab_total = vocab_total;
    if (combined != nullptr) {
        extra.combined_max = combined->max;
        extra.combined_sum_exp = combined->sum_exp;
    }
    report_status(b, o, status, coefficients, nullptr, stream, &extra);
}

}  // namespace

void ce_partial_forward(const reweigh_ce_batch_t& b, int64_t vocab_offset, int64_t vocab_total,
                        const reweigh_ce_options_t& o, const RowParams& p, const reweigh_ce_partials_t& partials) {
    check_device(b);
    DeviceGuard guard(b.device_index);
    const cudaStream_t stream = stream_of(b);
    const CallSettings settings = default_settings();
    if (settings.async) raise_deferred(b.device_index);
    Workspace ws(b.device_index, stream, Workspace::piece<DeviceStatus>(1) + Workspace::piece<int64_t>(b.samples));
    DeviceStatus* status = ws.take<DeviceStatus>(1);
    int64_t* counts = ws.take<int64_t>(b.samples);

    reset_status(status, stream);
    launch_check_labels(shard_labels(b, o, vocab_total), status, counts, stream);
    if (o.check_finite) launch_check_finite(b, o.ignore_index, status, stream);
    report_shard(b, o, settings, status, nullptr, nullptr, vocab_total, stream);

    PartialArgs a = partial_args(b, o, p, vocab_offset, vocab_total, partials);
    a.status = status;
    a.async = settings.async;
    launch_partial_forward(b.logits_dtype, a, stream);
    launch_fold_status(status, settings.async, b.rows, vocab_total, b.device_index, stream);
}

void ce_sharded_stats(const reweigh_ce_batch_t& b, int64_t vocab_total, const reweigh_ce_options_t& o,
                      const RowParams& p, const reweigh_ce_partials_t& combined, const float* coefficients,
                      const reweigh_ce_stats_t* stats_or_null, double* total) {
    check_device(b);
    DeviceGuard guard(b.device_index);
    const cudaStream_t stream = stream_of(b);
    const CallSettings settings = default_settings();
    if (settings.async) raise_deferred(b.device_index);
    const reweigh_ce_stats_t none = {};
    const reweigh_ce_stats_t& stats = stats_or_null != nullptr ? *stats_or_null : none;
    Workspace ws(b.device_index, stream,
                 Workspace::piece<DeviceStatus>(1) + Workspace::piece<int64_t>(b.samples) +
                     Workspace::piece<double>(b.samples) +
                     static_cast<size_t>(owned_row_buffers(stats)) * Workspace::piece<float>(b.rows));
    DeviceStatus* status = ws.take<DeviceStatus>(1);
    int64_t* counts = ws.take<int64_t>(b.samples);
    double* weighted = ws.take<double>(b.samples);

    const LabelArgs labels = shard_labels(b, o, vocab_total);
    reset_status(status, stream);
    launch_check_labels(labels, status, counts, stream);
    if (coefficients != nullptr) launch_normalizer(labels, o, settings, coefficients, counts, status, nullptr, stream);
    report_shard(b, o, settings, status, coefficients, nullptr, vocab_total, stream);

    PartialArgs a = partial_args(b, o, p, 0, vocab_total, combined);
    a.loss = ws.take<float>(b.rows);
    a.lse = row_buffer(ws, stats.row_lse, b.rows);
    a.logp = row_buffer(ws, stats.row_logp, b.rows);
    a.entropy = row_buffer(ws, stats.row_entropy, b.rows);
    a.status = status;
    a.async = settings.async;
    launch_finish_combined(a, stream);
    SampleArgs sums = sample_args(b, o, counts, a.loss, a.logp, a.entropy);
    sums.coefficients = coefficients;
    sums.weighted = weighted;
    sums.status = status;
    sums.async = settings.async;
    launch_sample_reduce(sums, b.rows, stats, stream);
    if (total != nullptr) launch_total(weighted, b.samples, status, settings.async, total, stream);
    launch_fold_status(status, settings.async, b.rows, vocab_total, b.device_index, stream);
}

void ce_sharded_backward(const reweigh_ce_batch_t& b, int64_t vocab_offset, int64_t vocab_total,
                         const reweigh_ce_options_t& o, const RowParams& p, const reweigh_ce_partials_t& combined,
                         const float* coefficients, const reweigh_ce_grad_t& grad) {
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

    const LabelArgs labels = shard_labels(b, o, vocab_total);
    reset_status(status, stream);
    launch_check_labels(labels, status, counts, stream);
    launch_normalizer(labels, o, settings, coefficients, counts, status, sample_k, stream);
    launch_check_combined(labels, combined.max, combined.sum_exp, status, stream);
    if (o.check_finite) launch_check_finite(b, o.ignore_index, status, stream);
    report_shard(b, o, settings, status, coefficients, &combined, vocab_total, stream);

    GradRowsArgs a = grad_rows_args(b, o, p, vocab_offset, vocab_total);
    a.combined_max = combined.max;
    a.combined_sum_exp = combined.sum_exp;
    a.sample_k = sample_k;
    a.grad = grad.data;
    a.grad_stride = grad.row_stride;
    a.status = status;
    a.async = settings.async;
    launch_grad_rows(b.logits_dtype, a, stream);
    launch_fold_status(status, settings.async, b.rows, vocab_total, b.device_index, stream);
}

}  // namespace cuda
}  // namespace reweigh
