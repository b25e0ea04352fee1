/*
 * cuda_runtime.h (emulation): a host stand-in for the subset of the CUDA
 * runtime and device intrinsics that native/src/cuda uses, so the kernels'
 * logic (partitioning, peeled/vector/tail paths, the shared-memory slice
 * cache, rows split over several blocks, block and warp reductions, device
 * validation, asynchronous mode, in place) is checked by the CPU parity test
 * on a machine without a GPU. See run.sh.
 *
 * Model: every CUDA thread is a fiber (ucontext) on the launching host
 * thread; __syncthreads is a barrier over the block's fibers, switching to
 * the next runnable fiber until all arrived; __shfl_xor_sync goes through a
 * per-warp exchange buffer between two warp barriers (so it requires, like
 * the hardware, that every lane of the warp takes part); __nanosleep (a
 * spin-wait) yields. A normal launch runs its blocks one after another; a
 * cooperative launch runs all blocks at once (the kernels' group barriers
 * need that). A state where every live fiber waits is reported as a
 * deadlock (abort). Fibers are cheap, so blocks have their real size. Each block gets its own dynamic shared memory, filled
 * with a poison pattern (byte REWEIGH_EMU_SMEM_POISON, default 0xff: NaN
 * floats and doubles, -1 integers) instead of zeros, so a kernel that reads
 * shared memory it did not write gets garbage and fails the parity checks;
 * under AddressSanitizer (run.sh --asan) the block's memory is exactly its
 * size, so an overrun is reported. "Device" memory is aligned host memory
 * registered in a table so cudaPointerGetAttributes tells it from host
 * memory. Streams are synchronous. Two devices: 0 has compute capability
 * 9.0, 1 has 7.5 (to test the capability check).
 * It says nothing about performance, memory-model races or occupancy: that
 * is what gpu-check.sh (compute-sanitizer, benchmark) is for.
 */
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <utility>
#include <vector>

#define REWEIGH_CUDA_EMULATION 1

/* Fiber switches announced to AddressSanitizer (it tracks which stack is live). */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define REWEIGH_EMU_START_SWITCH(save, bottom, size) __sanitizer_start_switch_fiber((save), (bottom), (size))
#define REWEIGH_EMU_FINISH_SWITCH(save, bottom, size) __sanitizer_finish_switch_fiber((save), (bottom), (size))
#else
#define REWEIGH_EMU_START_SWITCH(save, bottom, size) ((void)0)
#define REWEIGH_EMU_FINISH_SWITCH(save, bottom, size) ((void)0)
#endif
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)

struct uint4 {
    unsigned x, y, z, w;
};
inline uint4 make_uint4(unsigned a, unsigned b, unsigned c, unsigned d) { return uint4{a, b, c, d}; }
struct Dim {
    unsigned x = 0, y = 1, z = 1;
};
struct dim3 {
    unsigned x, y, z;
    dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};

typedef int cudaError_t;
enum : int {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInsufficientDriver = 35,
    cudaErrorInvalidDevice = 101,
    cudaErrorNotSupported = 801
};
typedef struct CUstream_st* cudaStream_t;
enum cudaMemcpyKind { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3, cudaMemcpyDefault = 4 };
enum cudaMemoryType { cudaMemoryTypeUnregistered = 0, cudaMemoryTypeHost = 1, cudaMemoryTypeDevice = 2, cudaMemoryTypeManaged = 3 };
enum cudaDeviceAttr {
    cudaDevAttrMultiProcessorCount = 16,
    cudaDevAttrComputeCapabilityMajor = 75,
    cudaDevAttrComputeCapabilityMinor = 76,
    cudaDevAttrCooperativeLaunch = 95,
    cudaDevAttrMaxSharedMemoryPerBlockOptin = 97
};
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
constexpr unsigned cudaHostAllocMapped = 2;
struct cudaPointerAttributes {
    cudaMemoryType type;
    int device;
};
struct cudaFuncAttributes {
    size_t sharedSizeBytes;
};

namespace emu {
/* Knobs a test may set before its first CUDA call. */
inline int device_count = 2;
inline cudaError_t device_count_error = cudaSuccess;
inline int sms = 16;
inline int blocks_per_sm = 2;
inline int cooperative = 1;
/* Called before every launch (grid, block, dynamic shared bytes): lets a test change "device" memory
 * between two kernels of one call, as another stream could. */
inline std::function<void(unsigned, unsigned, size_t)> before_launch;

inline std::mutex atomic_mutex; /* host threads may launch at once (concurrency checks) */
inline std::mutex alloc_mutex;
inline std::map<uintptr_t, size_t> allocations;
inline std::atomic<long> launches{0};
inline std::atomic<long> cooperative_launches{0};

inline thread_local Dim threadIdx_, blockIdx_, blockDim_, gridDim_;
inline thread_local int current_device = 0;
inline thread_local cudaError_t last_error = cudaSuccess;

/* A barrier of fibers: the last arrival opens it (a new generation); the others wait for that. */
struct FiberBarrier {
    unsigned count = 0, arrived = 0, generation = 0;
};

struct Block {
    Block(unsigned threads, size_t smem_bytes, unsigned char poison)
        : exchange(threads), smem(new unsigned char[smem_bytes > 0 ? smem_bytes : 1]) {
        bar.count = threads;
        warps.resize(threads / 32);
        for (auto& w : warps) w.count = 32;
        memset(smem.get(), poison, smem_bytes > 0 ? smem_bytes : 1);
    }
    FiberBarrier bar;
    std::vector<FiberBarrier> warps;
    std::vector<uint64_t> exchange;
    std::unique_ptr<unsigned char[]> smem;
};

struct Fiber {
    ucontext_t context;
    void* stack = nullptr;
    Block* block = nullptr;
    unsigned thread = 0, block_index = 0;
    bool done = false;
    void* fake_stack = nullptr; /* AddressSanitizer's per-fiber state */
    FiberBarrier* waiting = nullptr; /* runnable again once its generation moves past wait_generation */
    unsigned wait_generation = 0;
};

constexpr size_t kFiberStack = size_t{256} << 10;

/* One scheduler per host thread: all fibers of a launch run on it, switched at barriers and spins. */
struct Scheduler {
    ucontext_t main;
    std::vector<Fiber>* fibers = nullptr;
    Fiber* current = nullptr;
    std::function<void()> body;
    unsigned grid = 0, block = 0;
    void* main_fake_stack = nullptr;
    const void* main_stack = nullptr; /* the host thread's stack, for the sanitizer's fiber switches */
    size_t main_stack_size = 0;
};
inline thread_local Scheduler sched;
inline thread_local Block* ctx = nullptr;

inline void enter_fiber(Fiber& f) {
    threadIdx_.x = f.thread;
    blockIdx_.x = f.block_index;
    blockDim_.x = sched.block;
    gridDim_.x = sched.grid;
    ctx = f.block;
    sched.current = &f;
}

/* Back to the scheduler (the calling fiber stays runnable unless it set `waiting`). */
inline void yield_fiber() {
    Fiber* f = sched.current;
    REWEIGH_EMU_START_SWITCH(&f->fake_stack, sched.main_stack, sched.main_stack_size);
    swapcontext(&f->context, &sched.main);
    REWEIGH_EMU_FINISH_SWITCH(f->fake_stack, nullptr, nullptr);
    enter_fiber(*f);
}

inline void barrier_wait(FiberBarrier& b) {
    if (++b.arrived == b.count) {
        b.arrived = 0;
        ++b.generation;
        return;
    }
    sched.current->waiting = &b;
    sched.current->wait_generation = b.generation;
    yield_fiber();
}

inline void fiber_main() {
    REWEIGH_EMU_FINISH_SWITCH(nullptr, &sched.main_stack, &sched.main_stack_size);
    enter_fiber(*sched.current);
    sched.body();
    sched.current->done = true;
    REWEIGH_EMU_START_SWITCH(nullptr, sched.main_stack, sched.main_stack_size); /* this fiber ends */
}

inline unsigned char poison_byte() {
    const char* env = getenv("REWEIGH_EMU_SMEM_POISON");
    return env != nullptr ? static_cast<unsigned char>(strtoul(env, nullptr, 0)) : 0xffu;
}

template <class T>
T* dynamic_smem() {
    return reinterpret_cast<T*>(ctx->smem.get());
}

/* Out of line: getcontext returns twice, which must not clobber the caller's loop variables. */
__attribute__((noinline)) inline void init_fiber(Fiber& f) {
    f.stack = mmap(nullptr, kFiberStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (f.stack == MAP_FAILED) abort();
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack;
    f.context.uc_stack.ss_size = kFiberStack;
    f.context.uc_link = &sched.main;
    makecontext(&f.context, fiber_main, 0);
}

/* Runs blocks [first, first + count) of a grid together, every CUDA thread a fiber, to completion. */
template <class... P>
void run_blocks(void (*k)(P...), unsigned first, unsigned count, unsigned grid, unsigned block, size_t smem_bytes,
                const std::tuple<std::decay_t<P>...>& params) {
    const unsigned char poison = poison_byte();
    std::vector<std::unique_ptr<Block>> blocks;
    for (unsigned b = 0; b < count; ++b) blocks.emplace_back(new Block(block, smem_bytes, poison));
    std::vector<Fiber> fibers(static_cast<size_t>(count) * block);
    const Scheduler saved = sched; /* launches do not nest, but keep the host thread's state intact */
    sched.fibers = &fibers;
    sched.grid = grid;
    sched.block = block;
    sched.body = [&] { std::apply(k, params); };
    for (size_t i = 0; i < fibers.size(); ++i) {
        Fiber& f = fibers[i];
        f.block = blocks[i / block].get();
        f.block_index = first + static_cast<unsigned>(i / block);
        f.thread = static_cast<unsigned>(i % block);
        init_fiber(f);
    }
    size_t alive = fibers.size();
    while (alive > 0) {
        bool progress = false;
        for (Fiber& f : fibers) {
            if (f.done) continue;
            if (f.waiting != nullptr) {
                if (f.waiting->generation == f.wait_generation) continue;
                f.waiting = nullptr;
            }
            progress = true;
            sched.current = &f;
            REWEIGH_EMU_START_SWITCH(&sched.main_fake_stack, f.stack, kFiberStack);
            swapcontext(&sched.main, &f.context);
            REWEIGH_EMU_FINISH_SWITCH(sched.main_fake_stack, nullptr, nullptr);
            if (f.done) --alive;
        }
        if (!progress) {
            fprintf(stderr, "emulation: deadlock (every live CUDA thread waits at a barrier)\n");
            abort();
        }
    }
    for (Fiber& f : fibers) munmap(f.stack, kFiberStack);
    sched = saved;
}

template <class... P, class... A>
void launch_kernel(void (*k)(P...), unsigned grid, unsigned block, size_t smem_bytes, cudaStream_t, A&&... args) {
    if (block == 0 || block > 1024 || block % 32 != 0) abort();
    ++launches;
    if (before_launch) before_launch(grid, block, smem_bytes);
    const std::tuple<std::decay_t<P>...> params(std::forward<A>(args)...);
    for (unsigned b = 0; b < grid; ++b) run_blocks(k, b, 1, grid, block, smem_bytes, params);
}

template <class... P, class... A>
void launch_cooperative(void (*k)(P...), unsigned grid, unsigned block, size_t smem_bytes, cudaStream_t,
                        A&&... args) {
    if (block == 0 || block > 1024 || block % 32 != 0) abort();
    if (!cooperative || grid > static_cast<unsigned>(sms * blocks_per_sm)) {
        last_error = cudaErrorInvalidValue; /* cudaErrorCooperativeLaunchTooLarge on hardware */
        return;
    }
    ++launches;
    ++cooperative_launches;
    if (before_launch) before_launch(grid, block, smem_bytes);
    const std::tuple<std::decay_t<P>...> params(std::forward<A>(args)...);
    run_blocks(k, 0, grid, grid, block, smem_bytes, params);
}
}  // namespace emu

#define threadIdx emu::threadIdx_
#define blockIdx emu::blockIdx_
#define blockDim emu::blockDim_
#define gridDim emu::gridDim_

inline void __syncthreads() { emu::barrier_wait(emu::ctx->bar); }
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_system() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __nanosleep(unsigned) { emu::yield_fiber(); } /* a spinning thread lets the others run */
template <class T>
T __ldcg(const T* p) {
    std::atomic_thread_fence(std::memory_order_acquire);
    return *static_cast<const volatile T*>(p);
}

template <class T>
T __shfl_xor_sync(unsigned, T v, int offset) {
    static_assert(sizeof(T) <= 8, "shfl");
    const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    uint64_t slot = 0;
    memcpy(&slot, &v, sizeof v);
    emu::ctx->exchange[threadIdx.x] = slot;
    emu::barrier_wait(emu::ctx->warps[warp]);
    slot = emu::ctx->exchange[warp * 32 + (lane ^ static_cast<unsigned>(offset))];
    emu::barrier_wait(emu::ctx->warps[warp]);
    T r;
    memcpy(&r, &slot, sizeof r);
    return r;
}

/* Atomics on plain memory, through one lock; the group barrier's volatile polling sees their stores. */
inline unsigned long long atomicMin(unsigned long long* p, unsigned long long v) {
    std::lock_guard<std::mutex> g(emu::atomic_mutex);
    const unsigned long long old = *p;
    if (v < old) *p = v;
    return old;
}
inline unsigned atomicAdd(unsigned* p, unsigned v) {
    std::lock_guard<std::mutex> g(emu::atomic_mutex);
    const unsigned old = *p;
    *static_cast<volatile unsigned*>(p) = old + v;
    return old;
}
inline unsigned atomicCAS(unsigned* p, unsigned compare, unsigned v) {
    std::lock_guard<std::mutex> g(emu::atomic_mutex);
    const unsigned old = *p;
    if (old == compare) *p = v;
    return old;
}
inline unsigned atomicExch(unsigned* p, unsigned v) {
    std::lock_guard<std::mutex> g(emu::atomic_mutex);
    const unsigned old = *p;
    *static_cast<volatile unsigned*>(p) = v;
    return old;
}

inline const char* cudaGetErrorString(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "no error";
        case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
        default: return "emulated error";
    }
}
inline const char* cudaGetErrorName(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "cudaSuccess";
        case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
        default: return "cudaErrorEmulated";
    }
}
inline cudaError_t cudaGetLastError() {
    const cudaError_t e = emu::last_error;
    emu::last_error = cudaSuccess;
    return e;
}
inline cudaError_t cudaGetDeviceCount(int* n) {
    if (emu::device_count_error != cudaSuccess) {
        *n = 0;
        return emu::device_count_error;
    }
    *n = emu::device_count;
    return cudaSuccess;
}
/* The emulated runtime reports itself as CUDA 13.0; the driver as absent when device_count_error is set. */
#ifndef CUDART_VERSION
#define CUDART_VERSION 13000
#endif
inline cudaError_t cudaDriverGetVersion(int* v) {
    *v = emu::device_count_error != cudaSuccess ? 0 : 13000;
    return cudaSuccess;
}
inline cudaError_t cudaGetDevice(int* d) { *d = emu::current_device; return cudaSuccess; }
inline cudaError_t cudaSetDevice(int d) {
    if (d < 0 || d >= emu::device_count) return cudaErrorInvalidDevice;
    emu::current_device = d;
    return cudaSuccess;
}
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr attr, int device) {
    switch (attr) {
        case cudaDevAttrMultiProcessorCount: *v = emu::sms; break;
        case cudaDevAttrComputeCapabilityMajor: *v = device == 1 ? 7 : 9; break;
        case cudaDevAttrComputeCapabilityMinor: *v = device == 1 ? 5 : 0; break;
        case cudaDevAttrCooperativeLaunch: *v = emu::cooperative; break;
        case cudaDevAttrMaxSharedMemoryPerBlockOptin: *v = 232448; break;
    }
    return cudaSuccess;
}
template <class T>
cudaError_t cudaFuncSetAttribute(T*, cudaFuncAttribute, int) { return cudaSuccess; }
template <class T>
cudaError_t cudaFuncGetAttributes(cudaFuncAttributes* a, T*) {
    a->sharedSizeBytes = 0;
    return cudaSuccess;
}
template <class T>
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* n, T*, int, size_t) {
    *n = emu::blocks_per_sm;
    return cudaSuccess;
}
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
/* Pinned, mapped host memory: host memory whose device pointer is itself (unified addressing). */
inline cudaError_t cudaHostAlloc(void** p, size_t n, unsigned) {
    *p = aligned_alloc(256, (n + 255) / 256 * 256);
    return *p != nullptr ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline cudaError_t cudaHostGetDevicePointer(void** d, void* h, unsigned) { *d = h; return cudaSuccess; }
inline cudaError_t cudaFreeHost(void* p) { free(p); return cudaSuccess; }
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
