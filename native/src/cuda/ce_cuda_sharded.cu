/*
 * ce_cuda_sharded.cu: the CUDA drivers of vocabulary-sharded partials
 * (reweigh.h): partial forward, statistics from combined partials, and a
 * shard's slice of the gradient; the counterpart of ../cpu/ce_sharded.cpp
 * with the same semantics and messages; also the combine of device partials
 * (merge, rebase to a global max: partials_combine.cu) and the local
 * normaliser D. A device batch's partials are [rows] fp32 arrays in its
 * device memory, as every other per-row array of a CUDA call, so a
 * collective (NCCL all-reduce) reads them in place and the combine never
 * leaves the device.
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
#include "call_scope.cuh"
#include "ce.cuh"
#include "ce_cuda.h"
#include "grad_rows.cuh"
#include "partials.cuh"

namespace reweigh {
namespace cuda {
namespace {

/*
 * A sharded call: its LabelCall (call_scope.cuh) with the labels checked against the whole vocabulary
 * (a shard holds a slice of the columns, not of the targets), and the report, row arguments and status
 * fold of the sharded drivers.
 */
struct ShardCall : LabelCall {
    ShardCall(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, int64_t total, float grad_scale, bool with_k,
              size_t extra)
        : LabelCall(b, o, scaled_settings(grad_scale), with_k, extra, total), vocab_total(total) {}

    /* Synchronous mode: the first failed check, with the CPU driver's message. */
    void report(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const float* coefficients,
                const reweigh_ce_partials_t* combined) const {
        if (call.settings.async) return;
        ReportInputs extra = {};
        extra.vocab_total = vocab_total;
        if (combined != nullptr) {
            extra.combined_max = combined->max;
            extra.combined_sum_exp = combined->sum_exp;
        }
        report_status(b, o, scratch.status, coefficients, nullptr, call.stream, &extra);
    }

    void fold(const reweigh_ce_batch_t& b) const {
        launch_fold_status(scratch.status, call.settings.async, b.rows, b.vocab, b.device_index, call.stream,
                           vocab_total);
    }

    int64_t vocab_total;
};

}  // namespace

void ce_partial_forward(const reweigh_ce_batch_t& b, int64_t vocab_offset, int64_t vocab_total,
                        const reweigh_ce_options_t& o, const RowParams& p, const reweigh_ce_partials_t& partials) {
    ShardCall sc(b, o, vocab_total, 1.0f, false, 0);
    if (o.check_finite) launch_check_finite(b, o.ignore_index, sc.scratch.status, sc.call.stream);
    sc.report(b, o, nullptr, nullptr);

    PartialArgs a = {};
    a.row = sc.rows(b, o, p);
    a.vocab_offset = vocab_offset;
    a.vocab_total = vocab_total;
    a.partials = partials;
    launch_partial_forward(b.logits_dtype, a, sc.call.stream);
    sc.fold(b);
}

void ce_sharded_stats(const reweigh_ce_batch_t& b, int64_t vocab_total, const reweigh_ce_options_t& o,
                      const RowParams& p, const reweigh_ce_partials_t& combined, const float* coefficients,
                      const reweigh_ce_stats_t* stats_or_null, double* total) {
    const reweigh_ce_stats_t none = {};
    const reweigh_ce_stats_t& stats = stats_or_null != nullptr ? *stats_or_null : none;
    ShardCall sc(b, o, vocab_total, 1.0f, false,
                 Workspace::piece<double>(b.samples) + row_outputs_bytes(stats, b.rows));
    if (coefficients != nullptr) {
        launch_normalizer(sc.labels, o, sc.call.settings, coefficients, sc.scratch.counts, sc.scratch.status, nullptr,
                          sc.call.stream);
    }
    sc.report(b, o, coefficients, nullptr);

    double* weighted = sc.ws.take<double>(b.samples);
    PartialArgs a = {};
    a.row = sc.rows(b, o, p);
    take_row_outputs(sc.ws, stats, b.rows, a.row);
    a.vocab_total = vocab_total;
    a.partials = combined;
    launch_finish_combined(a, sc.call.stream);
    reduce_samples(b, o, sc.scratch.counts, a.row.loss, a.row.logp, a.row.entropy, coefficients, weighted,
                   sc.scratch.status, sc.call.settings.async, stats, total, sc.call.stream);
    sc.fold(b);
}

void ce_sharded_backward(const reweigh_ce_batch_t& b, int64_t vocab_offset, int64_t vocab_total,
                         const reweigh_ce_options_t& o, const RowParams& p, const reweigh_ce_partials_t& combined,
                         const float* coefficients, const reweigh_ce_grad_t& grad) {
    ShardCall sc(b, o, vocab_total, o.grad_scale, true, 0);
    launch_normalizer(sc.labels, o, sc.call.settings, coefficients, sc.scratch.counts, sc.scratch.status,
                      sc.scratch.sample_k, sc.call.stream);
    launch_check_combined(sc.labels, combined.max, combined.sum_exp, sc.scratch.status, sc.call.stream);
    if (o.check_finite) launch_check_finite(b, o.ignore_index, sc.scratch.status, sc.call.stream);
    sc.report(b, o, coefficients, &combined);

    GradRowsArgs a = {};
    a.row = sc.rows(b, o, p);
    a.row.sample_k = sc.scratch.sample_k;
    a.row.grad = grad.data;
    a.row.grad_stride = grad.row_stride;
    a.vocab_offset = vocab_offset;
    a.vocab_total = vocab_total;
    a.combined_max = combined.max;
    a.combined_sum_exp = combined.sum_exp;
    launch_grad_rows(b.logits_dtype, a, sc.call.stream);
    sc.fold(b);
}

void ce_partials_merge(const reweigh_ce_batch_t& space, int64_t rows, const reweigh_ce_partials_t& from,
                       const reweigh_ce_partials_t& into) {
    const CallScope call(space, 1.0f);
    launch_partials_merge(rows, from, into, call.stream);
}

void ce_partials_rebase(const reweigh_ce_batch_t& space, int64_t rows, const float* global_max,
                        const reweigh_ce_partials_t& partials) {
    const CallScope call(space, 1.0f);
    Workspace ws(space.device_index, call.stream, Workspace::piece<DeviceStatus>(1));
    DeviceStatus* status = ws.take<DeviceStatus>(1);
    reset_status(status, call.stream);
    launch_check_global_max(rows, global_max, partials.max, status, call.stream);
    if (!call.settings.async) report_global_max(status, global_max, partials.max, space.device_index, call.stream);
    launch_partials_rebase(rows, global_max, partials, status, call.settings.async, call.stream);
    launch_fold_status(status, call.settings.async, rows, 1, space.device_index, call.stream);
}

void ce_normalizer(const reweigh_ce_batch_t& b, int64_t vocab_total, const reweigh_ce_options_t& o,
                   const float* coefficients, double* normalizer) {
    ShardCall sc(b, o, vocab_total, 1.0f, false, 0);
    /* settings.normalizer stays NULL: D reaches the caller only through the publish below, after the checks. */
    launch_normalizer(sc.labels, o, sc.call.settings, coefficients, sc.scratch.counts, sc.scratch.status, nullptr,
                      sc.call.stream);
    sc.report(b, o, coefficients, nullptr);
    launch_publish_normalizer(sc.scratch.status, normalizer, sc.call.stream);
    sc.fold(b);
}

}  // namespace cuda
}  // namespace reweigh
