/*
 * workspace.cuh: the device scratch memory of one call, from a cache kept per
 * (device, stream), and the per-device deferred status block.
 *
 * [Note: cached workspace] A call needs a few small buffers (status, token
 * counts, k_s, per-row outputs the caller did not supply, cross-block
 * partials). Allocating them per call with cudaMallocAsync on a pool whose
 * release threshold is 0 maps and unmaps memory on every call. Instead each
 * (device, stream) owns one cudaMalloc'ed block that only grows. A Workspace
 * holds that pair's mutex from construction to destruction, i.e. while the
 * call queues its kernels: two host threads on the same stream therefore
 * queue whole calls one after the other, and stream order keeps the second
 * call's kernels from touching the block before the first call's are done.
 * Growing frees the old block with cudaFree, which waits for the device.
 * A call inside CUDA-graph capture must not grow the block: run one call of
 * the same shape on that stream before capturing.
 * reweigh_cuda_release_cache() frees every cached block (tests, shutdown).
 *
 * [Note: deferred status] The first validation failure (asynchronous mode)
 * or device guard hit (any mode) of any call on a device is kept in
 * host-mapped pinned memory: kernels write it with atomics, the host reads
 * it with no copy and no synchronisation, so the next call can report it
 * without waiting, and reweigh_cuda_deferred_status() reports it after a
 * stream synchronisation.
 */
#ifndef REWEIGH_CUDA_WORKSPACE_CUH
#define REWEIGH_CUDA_WORKSPACE_CUH

#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

#include <mutex>

#include "../common/errors.h"

namespace reweigh {
namespace cuda {

/* Written once per device between two host reads: claimed by atomicCAS, then filled, then ready = 1. */
struct DeferredStatus {
    unsigned int claimed;
    unsigned int ready;
    int32_t check;   /* Check of ce.cuh */
    int32_t mode;    /* 1: found by an asynchronous call's validation; 0: by a row kernel's guard */
    int64_t index;   /* the first bad index of that check */
    int64_t rows;    /* the call's shape, for the message */
    int64_t vocab;   /* the logits' columns (decodes a non-finite logit's index) */
    int64_t label_vocab; /* the range of the targets: vocab, or a shard's whole vocabulary */
};

struct CacheSlot;

class Workspace {
public:
    /* Locks the (device, stream) slot and makes its block at least `bytes` long. */
    Workspace(int device, cudaStream_t stream, size_t bytes);
    ~Workspace();
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
    CacheSlot* slot_;
    std::unique_lock<std::mutex> lock_;
    char* base_ = nullptr;
    size_t size_ = 0;
    size_t used_ = 0;
};

/* The device pointer of `device`'s deferred status (host-mapped; allocated on first use). */
DeferredStatus* deferred_status_device(int device);
/* Its host view (volatile: kernels write it while the host reads). */
volatile DeferredStatus* deferred_status_host(int device);
/* Frees every cached workspace and deferred block (after a device synchronisation). */
void release_cache();

}  // namespace cuda
}  // namespace reweigh

#endif
