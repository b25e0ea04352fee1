/*
 * cuda_disabled.cpp: the CUDA backend of a CPU-only build (REWEIGH_CUDA=OFF,
 * or AUTO without nvcc). Facts say "no CUDA"; kernels are UNSUPPORTED.
 */
#include "../api/errors.h"
#include "ce_cuda.h"

namespace reweigh {
namespace cuda {

bool compiled() { return false; }

int32_t device_count() { return 0; }

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

void ce_forward_backward(const reweigh_ce_batch_t&, const reweigh_ce_options_t&, const RowParams&, const float*,
                         const reweigh_ce_stats_t&, const reweigh_ce_grad_t&, double*) {
    unsupported();
}

}  // namespace cuda
}  // namespace reweigh
