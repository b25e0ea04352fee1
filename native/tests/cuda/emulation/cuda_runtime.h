/*
 * cuda_runtime.h (emulation): a tiny host stand-in for the subset of the CUDA
 * runtime and device intrinsics that native/src/cuda uses, so the kernels'
 * logic (partitioning, vector and tail paths, shared-memory cache, block and
 * warp reductions, device validation, in place) can be checked by the CPU
 * parity test on a machine without a GPU. See run.sh.
 *
 * Model: every CUDA thread is a std::thread, one block runs at a time,
 * __syncthreads is a std::barrier over the block, __shfl_xor_sync goes
 * through a per-warp exchange buffer between two warp barriers (so it
 * requires, like the hardware, that every lane of the warp takes part),
 * __shared__ variables are function statics (blocks never overlap), and
 * "device" memory is aligned host memory registered in a table so
 * cudaPointerGetAttributes tells it from host memory. Streams are
 * synchronous. It says nothing about performance, memory-model races or
 * occupancy: that is what gpu-check.sh (compute-sanitizer, benchmark) is for.
 */
#pragma once
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <barrier>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)

struct uint4 {
    unsigned x, y, z, w;
};
inline uint4 make_uint4(unsigned a, unsigned b, unsigned c, unsigned d) { return uint4{a, b, c, d}; }
struct Dim {
    unsigned x = 0, y = 1, z = 1;
};

typedef int cudaError_t;
enum : int { cudaSuccess = 0, cudaErrorMemoryAllocation = 2, cudaErrorInvalidValue = 1, cudaErrorNotSupported = 801 };
typedef struct CUstream_st* cudaStream_t;
enum cudaMemcpyKind { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3, cudaMemcpyDefault = 4 };
enum cudaMemoryType { cudaMemoryTypeUnregistered = 0, cudaMemoryTypeHost = 1, cudaMemoryTypeDevice = 2, cudaMemoryTypeManaged = 3 };
enum cudaDeviceAttr { cudaDevAttrMaxSharedMemoryPerBlockOptin = 97 };
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
struct cudaPointerAttributes {
    cudaMemoryType type;
    int device;
};

namespace emu {
inline thread_local Dim threadIdx_, blockIdx_, blockDim_, gridDim_;
struct BlockCtx {
    std::barrier<>* block;
    std::vector<std::unique_ptr<std::barrier<>>>* warps;
    std::vector<uint64_t>* exchange;
};
inline thread_local BlockCtx ctx;
inline std::vector<unsigned char> smem;
inline std::mutex atomic_mutex;
inline std::mutex alloc_mutex;
inline std::map<uintptr_t, size_t> allocations;
inline std::atomic<long> launches{0};

template <class T>
T* dynamic_smem() {
    return reinterpret_cast<T*>(smem.data());
}

template <class... P, class... A>
void launch_kernel(void (*k)(P...), unsigned grid, unsigned block, size_t smem_bytes, cudaStream_t, A&&... args) {
    if (block == 0 || block > 1024 || block % 32 != 0) abort();
    ++launches;
    std::tuple<std::decay_t<P>...> params(std::forward<A>(args)...);
    smem.assign(smem_bytes + 16, 0);
    for (unsigned b = 0; b < grid; ++b) {
        std::barrier<> bar(block);
        std::vector<std::unique_ptr<std::barrier<>>> warps;
        for (unsigned w = 0; w < block / 32; ++w) warps.emplace_back(new std::barrier<>(32));
        std::vector<uint64_t> exchange(block);
        std::vector<std::thread> ts;
        ts.reserve(block);
        for (unsigned t = 0; t < block; ++t) {
            ts.emplace_back([&, t] {
                threadIdx_.x = t;
                blockIdx_.x = b;
                blockDim_.x = block;
                gridDim_.x = grid;
                ctx = BlockCtx{&bar, &warps, &exchange};
                std::apply(k, params);
            });
        }
        for (auto& th : ts) th.join();
    }
}
}  // namespace emu

#define threadIdx emu::threadIdx_
#define blockIdx emu::blockIdx_
#define blockDim emu::blockDim_
#define gridDim emu::gridDim_

inline void __syncthreads() { emu::ctx.block->arrive_and_wait(); }

template <class T>
T __shfl_xor_sync(unsigned, T v, int offset) {
    static_assert(sizeof(T) <= 8, "shfl");
    const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    uint64_t slot = 0;
    memcpy(&slot, &v, sizeof v);
    (*emu::ctx.exchange)[threadIdx.x] = slot;
    (*emu::ctx.warps)[warp]->arrive_and_wait();
    slot = (*emu::ctx.exchange)[warp * 32 + (lane ^ static_cast<unsigned>(offset))];
    (*emu::ctx.warps)[warp]->arrive_and_wait();
    T r;
    memcpy(&r, &slot, sizeof r);
    return r;
}

inline unsigned long long atomicMin(unsigned long long* p, unsigned long long v) {
    std::lock_guard<std::mutex> g(emu::atomic_mutex);
    const unsigned long long old = *p;
    if (v < old) *p = v;
    return old;
}

inline const char* cudaGetErrorString(cudaError_t e) { return e == 0 ? "no error" : "emulated error"; }
inline const char* cudaGetErrorName(cudaError_t e) { return e == 0 ? "cudaSuccess" : "cudaErrorEmulated"; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return cudaSuccess; }
inline cudaError_t cudaGetDevice(int* d) { *d = 0; return cudaSuccess; }
inline cudaError_t cudaSetDevice(int d) { return d == 0 ? cudaSuccess : cudaErrorInvalidValue; }
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr, int) { *v = 232448; return cudaSuccess; }
template <class T>
cudaError_t cudaFuncSetAttribute(T*, cudaFuncAttribute, int) { return cudaSuccess; }
inline cudaError_t cudaMalloc(void** p, size_t n) {
    *p = aligned_alloc(256, (n + 255) / 256 * 256);
    memset(*p, 0xcd, n);
    std::lock_guard<std::mutex> g(emu::alloc_mutex);
    emu::allocations[reinterpret_cast<uintptr_t>(*p)] = n;
    return cudaSuccess;
}
inline cudaError_t cudaFree(void* p) {
    if (!p) return cudaSuccess;
    std::lock_guard<std::mutex> g(emu::alloc_mutex);
    if (emu::allocations.erase(reinterpret_cast<uintptr_t>(p)) != 1) abort();
    free(p);
    return cudaSuccess;
}
inline cudaError_t cudaMallocAsync(void** p, size_t n, cudaStream_t) { return cudaMalloc(p, n); }
inline cudaError_t cudaFreeAsync(void* p, cudaStream_t) { return cudaFree(p); }
inline cudaError_t cudaMemsetAsync(void* p, int v, size_t n, cudaStream_t) { memset(p, v, n); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) { memcpy(d, s, n); return cudaSuccess; }
inline cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind k, cudaStream_t) { return cudaMemcpy(d, s, n, k); }
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* a, const void* p) {
    std::lock_guard<std::mutex> g(emu::alloc_mutex);
    const uintptr_t u = reinterpret_cast<uintptr_t>(p);
    a->type = cudaMemoryTypeUnregistered;
    a->device = 0;
    auto it = emu::allocations.upper_bound(u);
    if (it != emu::allocations.begin()) {
        --it;
        if (u < it->first + it->second || (u == it->first)) a->type = cudaMemoryTypeDevice;
    }
    return cudaSuccess;
}
