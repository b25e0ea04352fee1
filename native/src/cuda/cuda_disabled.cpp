/*
 * cuda_disabled.cpp: the CUDA backend of a CPU-only build (REWEIGH_CUDA=OFF,
 * or AUTO without nvcc). Facts say "no CUDA"; kernels are UNSUPPORTED.
 */
#include "../common/errors.h"
#include "ce_cuda.h"

namespace reweigh {
namespace cuda {

bool compiled() { return false; }

int32_t device_count() { return 0; }

const char* unavailable_reason() {
    return "this libreweigh was built without CUDA kernels (REWEIGH_CUDA=OFF, or no nvcc at build time)";
}

bool context_exists() { return false; }

CallSettings default_settings() { return CallSettings(); }

void pointer_device(const void*, int32_t* device_type, int32_t* device_index) {
    *device_type = REWEIGH_DEVICE_CPU;
    *device_index = 0;
}

namespace {
[[noreturn]] void unsupported() {
    REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED,
                 "batch.device_type is CUDA but this libreweigh was built without CUDA kernels");
}
}  // namespace

void ce_forward(const reweigh_ce_batch_t&, const reweigh_ce_options_t&, const RowParams&, const reweigh_ce_stats_t&) {
    unsupported();
}

void ce_backward(const reweigh_ce_batch_t&, const reweigh_ce_options_t&, const RowParams&, const float*, const float*,
                 const reweigh_ce_grad_t&) {
    unsupported();
}

void ce_backward(const reweigh_ce_batch_t&, const reweigh_ce_options_t&, const RowParams&, const float*, const float*,
                 const reweigh_ce_grad_t&, const CallSettings&) {
    unsupported();
}

void ce_forward_backward(const reweigh_ce_batch_t&, const reweigh_ce_options_t&, const RowParams&, const float*,
                         const reweigh_ce_stats_t&, const reweigh_ce_grad_t&, double*) {
    unsupported();
}

void ce_forward_backward(const reweigh_ce_batch_t&, const reweigh_ce_options_t&, const RowParams&, const float*,
                         const reweigh_ce_stats_t&, const reweigh_ce_grad_t&, double*, const CallSettings&) {
    unsupported();
}

void ce_backward_rows(const reweigh_ce_batch_t&, const reweigh_ce_options_t&, const RowParams&, const float*,
                      const float*, const float*, const float*, const float*, const reweigh_ce_grad_t&) {
    unsupported();
}

void policy_forward_backward(const reweigh_ce_batch_t&, const reweigh_ce_options_t&, const RowParams&,
                             const reweigh_policy_options_t&, const reweigh_policy_rows_t&,
                             const reweigh_policy_result_t&, const reweigh_ce_grad_t&) {
    unsupported();
}

void ce_partial_forward(const reweigh_ce_batch_t&, int64_t, int64_t, const reweigh_ce_options_t&, const RowParams&,
                        const reweigh_ce_partials_t&) {
    unsupported();
}

void ce_sharded_stats(const reweigh_ce_batch_t&, int64_t, const reweigh_ce_options_t&, const RowParams&,
                      const reweigh_ce_partials_t&, const float*, const reweigh_ce_stats_t*, double*) {
    unsupported();
}

void ce_sharded_backward(const reweigh_ce_batch_t&, int64_t, int64_t, const reweigh_ce_options_t&, const RowParams&,
                         const reweigh_ce_partials_t&, const float*, const reweigh_ce_grad_t&) {
    unsupported();
}

void ce_partials_merge(const reweigh_ce_batch_t&, int64_t, const reweigh_ce_partials_t&,
                       const reweigh_ce_partials_t&) {
    unsupported();
}

void ce_partials_rebase(const reweigh_ce_batch_t&, int64_t, const float*, const reweigh_ce_partials_t&) {
    unsupported();
}

void ce_normalizer(const reweigh_ce_batch_t&, int64_t, const reweigh_ce_options_t&, const float*, double*) {
    unsupported();
}

}  // namespace cuda
}  // namespace reweigh

/* The device-memory helpers of reweigh.h: no CUDA in this build. */
extern "C" {

reweigh_status_t reweigh_cuda_malloc(int32_t, int64_t, void** ptr) {
    return reweigh::guarded([&] {
        if (ptr != nullptr) *ptr = nullptr;
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "reweigh_cuda_malloc: this libreweigh was built without CUDA");
    });
}

reweigh_status_t reweigh_cuda_free(int32_t, void* ptr) {
    return reweigh::guarded([&] {
        if (ptr == nullptr) return;
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "reweigh_cuda_free: this libreweigh was built without CUDA");
    });
}

reweigh_status_t reweigh_cuda_memcpy(void*, const void*, int64_t) {
    return reweigh::guarded([&] {
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "reweigh_cuda_memcpy: this libreweigh was built without CUDA");
    });
}

reweigh_status_t reweigh_cuda_synchronize(int32_t) {
    return reweigh::guarded([&] {
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "reweigh_cuda_synchronize: this libreweigh was built without CUDA");
    });
}


reweigh_status_t reweigh_cuda_set_validation_mode(int32_t mode) {
    return reweigh::guarded([&] {
        REWEIGH_CHECK_ARG(mode == REWEIGH_CUDA_VALIDATION_SYNC || mode == REWEIGH_CUDA_VALIDATION_ASYNC,
                          "mode = %d is not REWEIGH_CUDA_VALIDATION_SYNC (0) or _ASYNC (1)", mode);
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED,
                     "reweigh_cuda_set_validation_mode: this libreweigh was built without CUDA");
    });
}

int32_t reweigh_cuda_validation_mode(void) { return REWEIGH_CUDA_VALIDATION_SYNC; }

reweigh_status_t reweigh_cuda_deferred_status(int32_t, uint64_t) {
    return reweigh::guarded([&] {
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "reweigh_cuda_deferred_status: this libreweigh was built without CUDA");
    });
}

reweigh_status_t reweigh_cuda_release_cache(void) { return REWEIGH_STATUS_OK; }

}  // extern "C"
