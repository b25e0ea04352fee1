/*
 * launch.cuh: CUDA error handling for the backend. Every runtime call goes
 * through REWEIGH_CUDA_CHECK and every kernel through launch(), which checks
 * the launch itself, so a forgotten check cannot happen (ggml's
 * cross_entropy_loss_back missed one; docs/style.md §2).
 *
 * Failures throw reweigh::Error with REWEIGH_STATUS_CUDA and the
 * cudaGetErrorString text (REWEIGH_STATUS_OUT_OF_MEMORY for an allocation);
 * guarded() in errors.h turns that into a status. Nothing here aborts.
 *
 * Also: DeviceGuard (select batch.device_index for one call, restore after)
 * and Workspace (one cudaMallocAsync block per call on the caller's stream,
 * freed with cudaFreeAsync on every path, including exceptions).
 */
#ifndef REWEIGH_CUDA_LAUNCH_CUH
#define REWEIGH_CUDA_LAUNCH_CUH

#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

#include <utility>

#include "../common/errors.h"

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
    kernel<<<grid, block, smem, stream>>>(std::forward<Args>(args)...);
    const cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) fail_cuda(err, name, __FILE__, __LINE__);
}

/* Blocks for a grid-stride loop over n items: at most 2^20 (loops cover the rest). */
inline unsigned grid_for(int64_t n, int64_t per_block) {
    if (n <= 0) return 0;
    const int64_t blocks = (n + per_block - 1) / per_block;
    return static_cast<unsigned>(blocks < (int64_t{1} << 20) ? blocks : (int64_t{1} << 20));
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

/*
 * One stream-ordered device allocation per call, carved into aligned pieces.
 * Freed with cudaFreeAsync on the same stream, so kernels still queued that
 * use it finish first; the destructor never throws.
 */
class Workspace {
public:
    Workspace(size_t bytes, cudaStream_t stream) : stream_(stream) {
        if (bytes == 0) bytes = 256;
        void* p = nullptr;
        cudaError_t err = cudaMallocAsync(&p, bytes, stream);
        if (err == cudaErrorNotSupported) {
            /* No stream-ordered allocator (cudaDevAttrMemoryPoolsSupported = 0): plain cudaMalloc. */
            (void)cudaGetLastError();
            async_ = false;
            err = cudaMalloc(&p, bytes);
        }
        if (err != cudaSuccess) fail_cuda(err, async_ ? "cudaMallocAsync(workspace)" : "cudaMalloc(workspace)",
                                          __FILE__, __LINE__);
        base_ = static_cast<char*>(p);
        size_ = bytes;
    }
    ~Workspace() {
        if (base_ == nullptr) return;
        const cudaError_t err = async_ ? cudaFreeAsync(base_, stream_) : cudaFree(base_);
        if (err != cudaSuccess) (void)cudaGetLastError();
    }
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

    /* Bytes needed for `count` items of T, rounded up to the 256-byte piece alignment. */
    template <class T>
    static size_t piece(int64_t count) {
        const size_t bytes = static_cast<size_t>(count > 0 ? count : 0) * sizeof(T);
        return (bytes + 255) & ~static_cast<size_t>(255);
    }

    /* The next piece of `count` T's (sized with piece<T>() when the workspace was planned). */
    template <class T>
    T* take(int64_t count) {
        const size_t bytes = piece<T>(count);
        if (used_ + bytes > size_) {
            REWEIGH_FAIL(REWEIGH_STATUS_INTERNAL, "CUDA workspace overflow (%zu + %zu > %zu bytes)", used_, bytes,
                         size_);
        }
        T* p = reinterpret_cast<T*>(base_ + used_);
        used_ += bytes;
        return p;
    }

private:
    cudaStream_t stream_;
    bool async_ = true;
    char* base_ = nullptr;
    size_t size_ = 0;
    size_t used_ = 0;
};

}  // namespace cuda
}  // namespace reweigh

#endif
