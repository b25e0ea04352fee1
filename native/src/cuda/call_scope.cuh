/*
 * call_scope.cuh: the start every per-row and sharded driver shares
 * (ce_cuda_token.cu, ce_cuda_sharded.cu): the batch's device checked and
 * made current for the call, its stream, the calling thread's validation
 * mode, a failure deferred by an earlier asynchronous call raised first, and
 * the workspace pieces of the label checks (status block, token counts, k_s).
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

struct CallScope {
    /* grad_scale: options.grad_scale for the calls that write a gradient, 1 otherwise. */
    CallScope(const reweigh_ce_batch_t& b, float grad_scale)
        : guard(checked_device(b)), stream(stream_of(b)), settings(default_settings()) {
        settings.grad_scale = grad_scale;
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

}  // namespace cuda
}  // namespace reweigh

#endif
