/*
 * workspace.cu: the per-(device, stream) workspace cache and the deferred
 * status blocks; see [Note: cached workspace] and [Note: deferred status]
 * in workspace.cuh.
 */
#include "workspace.cuh"

#include <string.h>

#include <map>
#include <memory>
#include <utility>

#include "launch.cuh"

namespace reweigh {
namespace cuda {

struct CacheSlot {
    std::mutex mutex; /* held by the Workspace of the call using the block */
    char* base = nullptr;
    size_t size = 0;
};

namespace {

/* Never destroyed: cudaFree from a static destructor may run after the runtime is gone. */
struct Cache {
    std::mutex mutex; /* guards the maps, not the blocks */
    std::map<std::pair<int, uintptr_t>, std::unique_ptr<CacheSlot>> slots;
    std::map<int, std::pair<DeferredStatus*, DeferredStatus*>> deferred; /* cudaHostAlloc'ed: host, device view */
};

Cache& cache() {
    static Cache* c = new Cache;
    return *c;
}

CacheSlot* slot_for(int device, cudaStream_t stream) {
    Cache& c = cache();
    std::lock_guard<std::mutex> g(c.mutex);
    std::unique_ptr<CacheSlot>& s = c.slots[{device, reinterpret_cast<uintptr_t>(stream)}];
    if (!s) s.reset(new CacheSlot);
    return s.get();
}

constexpr size_t kGrain = size_t{1} << 20; /* grow in MiB steps: fewer regrowths */

}  // namespace

Workspace::Workspace(int device, cudaStream_t stream, size_t bytes)
    : slot_(slot_for(device, stream)), lock_(slot_->mutex) {
    if (bytes == 0) bytes = 256;
    if (slot_->size < bytes) {
        if (slot_->base != nullptr) {
            /* cudaFree waits for the device, so kernels still queued with the old block finish first. */
            REWEIGH_CUDA_CHECK(cudaFree(slot_->base));
            slot_->base = nullptr;
            slot_->size = 0;
        }
        const size_t size = (bytes + kGrain - 1) / kGrain * kGrain;
        void* p = nullptr;
        const cudaError_t err = cudaMalloc(&p, size);
        if (err != cudaSuccess) fail_cuda(err, "cudaMalloc(workspace)", __FILE__, __LINE__);
        slot_->base = static_cast<char*>(p);
        slot_->size = size;
    }
    base_ = slot_->base;
    size_ = slot_->size;
}

Workspace::~Workspace() = default;

namespace {
/* Host and device views of `device`'s deferred status, allocated on first use. */
std::pair<DeferredStatus*, DeferredStatus*> deferred_views(int device) {
    Cache& c = cache();
    std::lock_guard<std::mutex> g(c.mutex);
    std::pair<DeferredStatus*, DeferredStatus*>& v = c.deferred[device];
    if (v.first == nullptr) {
        void* p = nullptr;
        const cudaError_t err = cudaHostAlloc(&p, sizeof(DeferredStatus), cudaHostAllocMapped);
        if (err != cudaSuccess) fail_cuda(err, "cudaHostAlloc(deferred status)", __FILE__, __LINE__);
        memset(p, 0, sizeof(DeferredStatus));
        void* d = nullptr;
        const cudaError_t derr = cudaHostGetDevicePointer(&d, p, 0);
        if (derr != cudaSuccess) {
            (void)cudaFreeHost(p);
            fail_cuda(derr, "cudaHostGetDevicePointer(deferred status)", __FILE__, __LINE__);
        }
        v.first = static_cast<DeferredStatus*>(p);
        v.second = static_cast<DeferredStatus*>(d);
    }
    return v;
}
}  // namespace

DeferredStatus* deferred_status_device(int device) { return deferred_views(device).second; }

volatile DeferredStatus* deferred_status_host(int device) { return deferred_views(device).first; }

void release_cache() {
    Cache& c = cache();
    std::lock_guard<std::mutex> g(c.mutex);
    for (auto& entry : c.slots) {
        std::lock_guard<std::mutex> busy(entry.second->mutex);
        if (entry.second->base == nullptr) continue;
        DeviceGuard guard(entry.first.first);
        REWEIGH_CUDA_CHECK(cudaFree(entry.second->base));
        entry.second->base = nullptr;
        entry.second->size = 0;
    }
    for (auto& entry : c.deferred) {
        if (entry.second.first == nullptr) continue;
        DeviceGuard guard(entry.first);
        REWEIGH_CUDA_CHECK(cudaDeviceSynchronize());
        REWEIGH_CUDA_CHECK(cudaFreeHost(entry.second.first));
    }
    c.deferred.clear();
}

}  // namespace cuda
}  // namespace reweigh
