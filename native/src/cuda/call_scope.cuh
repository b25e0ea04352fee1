/*
 * call_scope.cuh: the start every CUDA driver shares (ce_cuda.cu,
 * ce_cuda_token.cu, ce_cuda_sharded.cu, ce_cuda_policy.cu): the batch's device
 * checked and made current for the call, its stream, the call's settings
 * (the calling thread's validation mode), a failure deferred by an earlier
 * asynchronous call raised first, the workspace pieces of the label checks
 * (status block, token counts, k_s) and the label checks themselves.
 */
#ifndef REWEIGH_CUDA_CALL_SCOPE_CUH
#define REWEIGH_CUDA_CALL_SCOPE_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#include "ce.cuh"
#include "launch.cuh"
#include "workspace.cuh"

namespace reweigh {
namespace cuda {

/* check_device(b), then b's device index (so the guard below is built only for a usable device). */
inline int checked_device(const reweigh_ce_batch_t& b) {
    check_device(b);
    return b.device_index;
}

/* default_settings() with a gradient scale. */
inline CallSettings scaled_settings(float grad_scale) {
    CallSettings s = default_settings();
    s.grad_scale = grad_scale;
    return s;
}

struct CallScope {
    /* grad_scale: options.grad_scale for the calls that write a gradient, 1 otherwise. */
    CallScope(const reweigh_ce_batch_t& b, float grad_scale) : CallScope(b, scaled_settings(grad_scale)) {}
    CallScope(const reweigh_ce_batch_t& b, const CallSettings& s)
        : guard(checked_device(b)), stream(stream_of(b)), settings(s) {
        if (settings.async) raise_deferred(b.device_index);
    }
    DeviceGuard guard;
    cudaStream_t stream;
    CallSettings settings;
};

/* Status block, per-sample token counts and (gradient calls) k_s, the first pieces of a call's workspace. */
struct LabelScratch {
    static size_t bytes(int64_t samples, bool with_k) {
        return Workspace::piece<DeviceStatus>(1) + Workspace::piece<int64_t>(samples) +
               (with_k ? Workspace::piece<float>(samples) : 0);
    }
    LabelScratch(Workspace& ws, int64_t samples, bool with_k)
        : status(ws.take<DeviceStatus>(1)), counts(ws.take<int64_t>(samples)),
          sample_k(with_k ? ws.take<float>(samples) : nullptr) {}
    DeviceStatus* status;
    int64_t* counts;
    float* sample_k;
};

/*
 * The start of a call that checks labels: its CallScope, a workspace of the LabelScratch pieces and
 * `extra` more bytes (taken by the caller in order), the status reset and offsets and targets checked,
 * the targets against label_vocab (batch.vocab, or a vocabulary shard's whole vocabulary).
 */
struct LabelCall {
    LabelCall(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const CallSettings& settings, bool with_k,
              size_t extra, int64_t label_vocab)
        : call(b, settings),
          ws(b.device_index, call.stream, LabelScratch::bytes(b.samples, with_k) + extra),
          scratch(ws, b.samples, with_k),
          labels(make_label_args(b, o.ignore_index)) {
        labels.vocab = label_vocab;
        reset_status(scratch.status, call.stream);
        launch_check_labels(labels, scratch.status, scratch.counts, call.stream);
    }

    /* The RowArgs of the batch (row_args) with this call's status and validation mode. */
    RowArgs rows(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o, const RowParams& p) const {
        RowArgs a = row_args(b, o, p);
        a.status = scratch.status;
        a.async = call.settings.async;
        return a;
    }

    const CallScope call;
    Workspace ws;
    const LabelScratch scratch;
    LabelArgs labels;
};

}  // namespace cuda
}  // namespace reweigh

#endif
