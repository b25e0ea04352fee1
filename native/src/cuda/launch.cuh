/*
 * launch.cuh: CUDA error handling and launch plumbing of the backend. Every
 * runtime call goes through REWEIGH_CUDA_CHECK and every kernel through
 * launch() or launch_cooperative(), which check the launch itself, so a
 * forgotten check cannot happen (ggml's cross_entropy_loss_back missed one;
 * see docs/style.md).
 *
 * Failures throw reweigh::Error with REWEIGH_STATUS_CUDA and the
 * cudaGetErrorString text (REWEIGH_STATUS_OUT_OF_MEMORY for an allocation);
 * guarded() in errors.h turns that into a status. Nothing here aborts.
 *
 * Also: DeviceGuard (select batch.device_index for one call, restore after).
 *
 * REWEIGH_CUDA_EMULATION is defined only by the host emulation harness
 * (tests/cuda/emulation): there the two launch statements and the dynamic
 * shared-memory declaration become calls into the emulated runtime; every
 * other line is the source nvcc compiles.
 */
#ifndef REWEIGH_CUDA_LAUNCH_CUH
#define REWEIGH_CUDA_LAUNCH_CUH

#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

#include <utility>

#include "../common/errors.h"

/* All shared memory of a kernel is dynamic, so the emulation can give each block its own, poisoned. */
#if defined(REWEIGH_CUDA_EMULATION)
#define REWEIGH_DYNAMIC_SMEM(type, name) type* name = ::emu::dynamic_smem<type>()
#else
#define REWEIGH_DYNAMIC_SMEM(type, name) extern __shared__ type name[]
#endif

/* Blocks of a grid-stride launch: at most this many (the loops cover the rest). */
#ifndef REWEIGH_CUDA_MAX_GRID
#define REWEIGH_CUDA_MAX_GRID (int64_t{1} << 20)
#endif

namespace reweigh {
namespace cuda {

[[noreturn]] inline void fail_cuda(cudaError_t err, const char* what, const char* file, int line) {
    (void)cudaGetLastError(); /* clear a non-sticky error so the next call starts clean */
    const reweigh_status_t status =
        err == cudaErrorMemoryAllocation ? REWEIGH_STATUS_OUT_OF_MEMORY : REWEIGH_STATUS_CUDA;
    ::reweigh::fail(status, file, line, "%s failed: %s (%s)", what, cudaGetErrorString(err), cudaGetErrorName(err));
}

#define REWEIGH_CUDA_CHECK(expr)                                                          \
    do {                                                                                  \
        const cudaError_t reweigh_err_ = (expr);                                          \
        if (reweigh_err_ != cudaSuccess) ::reweigh::cuda::fail_cuda(reweigh_err_, #expr, __FILE__, __LINE__); \
    } while (0)

/*
 * Launch `kernel` on `stream` and check the launch. An empty grid is a no-op
 * (CUDA rejects it), so callers need no special case for rows == 0.
 */
template <class... Params, class... Args>
void launch(const char* name, void (*kernel)(Params...), unsigned grid, unsigned block, size_t smem,
            cudaStream_t stream, Args&&... args) {
    if (grid == 0) return;
#if defined(REWEIGH_CUDA_EMULATION)
    ::emu::launch_kernel(kernel, grid, block, smem, stream, std::forward<Args>(args)...);
#else
    kernel<<<grid, block, smem, stream>>>(std::forward<Args>(args)...);
#endif
    const cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) fail_cuda(err, name, __FILE__, __LINE__);
}

/*
 * Launch the instantiation of a kernel template for the logits dtype: `names`
 * and the three pointers are its f32, bf16 and f16 instantiations, in that
 * order (REWEIGH_LAUNCH_PER_DTYPE spells them). Any other dtype is an internal
 * error of `what`: the entry points validate the dtype before any launch.
 */
template <class... Params, class... Args>
void launch_per_dtype(const char* what, int32_t logits_dtype, const char* const (&names)[3], void (*f32)(Params...),
                      void (*bf16)(Params...), void (*f16)(Params...), unsigned grid, unsigned block, size_t smem,
                      cudaStream_t stream, Args&&... args) {
    void (*const kernels[3])(Params...) = {f32, bf16, f16};
    int i = 0;
    switch (logits_dtype) {
        case REWEIGH_DTYPE_F32: i = 0; break;
        case REWEIGH_DTYPE_BF16: i = 1; break;
        case REWEIGH_DTYPE_F16: i = 2; break;
        default: REWEIGH_FAIL(REWEIGH_STATUS_INTERNAL, "%s: logits dtype %d", what, logits_dtype);
    }
    launch(names[i], kernels[i], grid, block, smem, stream, std::forward<Args>(args)...);
}

/* kernel<float>, kernel<Bf16> and kernel<F16> (ce.cuh) through launch_per_dtype, named "kernel<f32>", ... */
#define REWEIGH_LAUNCH_PER_DTYPE(what, logits_dtype, kernel, grid, block, smem, stream, ...)                       \
    ::reweigh::cuda::launch_per_dtype((what), (logits_dtype), {#kernel "<f32>", #kernel "<bf16>", #kernel "<f16>"}, \
                                      kernel<float>, kernel<Bf16>, kernel<F16>, (grid), (block), (smem), (stream), \
                                      __VA_ARGS__)

/*
 * A cooperative launch: every block of the grid is resident at once (the
 * runtime refuses the launch otherwise), so blocks may wait for each other.
 * The caller sizes the grid from the occupancy calculator.
 */
template <class... Params>
void launch_cooperative(const char* name, void (*kernel)(Params...), unsigned grid, unsigned block, size_t smem,
                        cudaStream_t stream, Params... args) {
    if (grid == 0) return;
#if defined(REWEIGH_CUDA_EMULATION)
    ::emu::launch_cooperative(kernel, grid, block, smem, stream, args...);
    const cudaError_t err = cudaGetLastError();
#else
    void* argv[] = {static_cast<void*>(&args)...};
    const cudaError_t err = cudaLaunchCooperativeKernel(reinterpret_cast<const void*>(kernel), dim3(grid),
                                                        dim3(block), argv, smem, stream);
#endif
    if (err != cudaSuccess) fail_cuda(err, name, __FILE__, __LINE__);
}

/* Blocks for a grid-stride loop over n items: at most REWEIGH_CUDA_MAX_GRID. */
inline unsigned grid_for(int64_t n, int64_t per_block) {
    if (n <= 0) return 0;
    const int64_t blocks = (n + per_block - 1) / per_block;
    return static_cast<unsigned>(blocks < REWEIGH_CUDA_MAX_GRID ? blocks : REWEIGH_CUDA_MAX_GRID);
}

/* Makes `device` current for the lifetime of the guard, then restores the caller's device. */
class DeviceGuard {
public:
    explicit DeviceGuard(int device) {
        REWEIGH_CUDA_CHECK(cudaGetDevice(&previous_));
        if (previous_ != device) {
            REWEIGH_CUDA_CHECK(cudaSetDevice(device));
            changed_ = true;
        }
    }
    ~DeviceGuard() {
        if (changed_ && cudaSetDevice(previous_) != cudaSuccess) (void)cudaGetLastError();
    }
    DeviceGuard(const DeviceGuard&) = delete;
    DeviceGuard& operator=(const DeviceGuard&) = delete;

private:
    int previous_ = 0;
    bool changed_ = false;
};

}  // namespace cuda
}  // namespace reweigh

#endif
