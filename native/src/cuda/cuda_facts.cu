/*
 * cuda_facts.cu: what the library knows about CUDA at run time
 * (compiled / device_count / pointer_device of ce_cuda.h) and the small
 * device-memory helpers of reweigh.h (reweigh_cuda_malloc, _free, _memcpy,
 * _synchronize) used by tests, benchmarks and Java callers.
 *
 * The runtime is linked statically (cudart_static), so the library loads on
 * machines with no driver; there cudaGetDeviceCount fails and we report 0
 * devices, clear the error and never throw, and keep that first error's text
 * for reweigh_cuda_unavailable_reason() (e.g. "CUDA driver version is
 * insufficient for CUDA runtime version", the static CUDA 13 runtime on an
 * older driver), so "0 devices" is never unexplained.
 *
 * Also the validation-mode, deferred-status and cache entry points of
 * reweigh.h.
 */
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

#include <mutex>

#include "../common/errors.h"
#include "ce_cuda.h"
#include "ce.cuh"
#include "launch.cuh"
#include "workspace.cuh"

namespace reweigh {
namespace cuda {

bool compiled() { return true; }

namespace {
int32_t probe_devices() {
    int n = 0;
    const cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
        (void)cudaGetLastError(); /* no driver / no device: not an error for us */
        return 0;
    }
    return static_cast<int32_t>(n);
}
}  // namespace

int32_t device_count() {
    /* Queried once: the driver fixes the visible devices at initialisation anyway. */
    static const int32_t count = probe_devices();
    return count;
}

const char* unavailable_reason() {
    static char reason[512] = {0};
    static const bool filled = [] {
        int n = 0;
        const cudaError_t e = cudaGetDeviceCount(&n);
        (void)cudaGetLastError();
        int driver = 0;
        (void)cudaDriverGetVersion(&driver);
        (void)cudaGetLastError();
        if (e == cudaSuccess && n > 0) return true;
        if (e == cudaSuccess) {
            snprintf(reason, sizeof reason, "the CUDA driver reports no device (CUDA_VISIBLE_DEVICES may hide them)");
        } else if (driver == 0) {
            snprintf(reason, sizeof reason, "no CUDA driver (libcuda.so.1) could be loaded: %s (%s)",
                     cudaGetErrorName(e), cudaGetErrorString(e));
        } else {
            snprintf(reason, sizeof reason,
                     "cudaGetDeviceCount failed: %s (%s); the driver supports CUDA %d.%d, this library's static "
                     "runtime is CUDA %d.%d",
                     cudaGetErrorName(e), cudaGetErrorString(e), driver / 1000, (driver % 1000) / 10,
                     CUDART_VERSION / 1000, (CUDART_VERSION % 1000) / 10);
        }
        return true;
    }();
    (void)filled;
    return reason;
}

bool context_exists() {
    // A context needs the driver library: if no one in this process loaded it, there is none,
    // and RTLD_NOLOAD asks without loading it (nor initialising CUDA).
    void* driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD);
    if (driver == nullptr) return false;
    using CtxGetCurrent = int (*)(void**);
    using DeviceGetCount = int (*)(int*);
    using DeviceGet = int (*)(int*, int);
    using PrimaryCtxGetState = int (*)(int, unsigned*, int*);
    const auto get_current = reinterpret_cast<CtxGetCurrent>(dlsym(driver, "cuCtxGetCurrent"));
    const auto get_count = reinterpret_cast<DeviceGetCount>(dlsym(driver, "cuDeviceGetCount"));
    const auto get_device = reinterpret_cast<DeviceGet>(dlsym(driver, "cuDeviceGet"));
    const auto get_state = reinterpret_cast<PrimaryCtxGetState>(dlsym(driver, "cuDevicePrimaryCtxGetState"));
    bool found = false;
    void* current = nullptr;
    // Each call returns CUDA_ERROR_NOT_INITIALIZED (nonzero) before cuInit: then no context exists either.
    if (get_current != nullptr && get_current(&current) == 0 && current != nullptr) found = true;
    int n = 0;
    if (!found && get_count != nullptr && get_device != nullptr && get_state != nullptr && get_count(&n) == 0) {
        for (int i = 0; i < n && !found; ++i) {
            int device = 0, active = 0;
            unsigned flags = 0;
            found = get_device(&device, i) == 0 && get_state(device, &flags, &active) == 0 && active != 0;
        }
    }
    dlclose(driver);
    return found;
}

void check_compute_capability(int device) {
    /* Read once per device: an attribute query per call costs a driver round trip. */
    static std::mutex mutex;
    static int known[64][2] = {};
    int major = 0, minor = 0;
    {
        std::lock_guard<std::mutex> g(mutex);
        if (device >= 0 && device < 64 && known[device][0] != 0) {
            major = known[device][0];
            minor = known[device][1];
        } else {
            REWEIGH_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
            REWEIGH_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
            if (device >= 0 && device < 64) {
                known[device][0] = major;
                known[device][1] = minor;
            }
        }
    }
    if (major < 8) {
        REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED,
                     "CUDA device %d has compute capability %d.%d; the kernels need 8.0 or newer (built for sm_80 "
                     "and sm_90)",
                     device, major, minor);
    }
}

void pointer_device(const void* ptr, int32_t* device_type, int32_t* device_index) {
    *device_type = REWEIGH_DEVICE_CPU;
    *device_index = 0;
    if (ptr == nullptr || device_count() == 0) return;
    cudaPointerAttributes attr;
    if (cudaPointerGetAttributes(&attr, ptr) != cudaSuccess) {
        (void)cudaGetLastError(); /* unknown to CUDA: host memory */
        return;
    }
    /* Device memory only when the attributes say so: pinned host memory (cudaMemoryTypeHost) and
     * unregistered memory stay CPU. */
    if (attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged) {
        *device_type = REWEIGH_DEVICE_CUDA;
        *device_index = attr.device;
    }
}

namespace {
void check_device_index(int32_t device_index) {
    const int32_t n = device_count();
    if (n == 0) REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "no CUDA device is available");
    REWEIGH_CHECK_ARG(device_index >= 0 && device_index < n, "device_index = %d is not a CUDA device (%d visible)",
                      device_index, n);
}
}  // namespace

}  // namespace cuda
}  // namespace reweigh

using reweigh::guarded;
using reweigh::cuda::check_device_index;
using reweigh::cuda::DeviceGuard;

extern "C" {

reweigh_status_t reweigh_cuda_malloc(int32_t device_index, int64_t bytes, void** ptr) {
    return guarded([&] {
        REWEIGH_CHECK_ARG(ptr != nullptr, "ptr is NULL");
        *ptr = nullptr;
        REWEIGH_CHECK_ARG(bytes >= 0, "bytes = %lld must be >= 0", static_cast<long long>(bytes));
        check_device_index(device_index);
        if (bytes == 0) return;
        DeviceGuard guard(device_index);
        REWEIGH_CUDA_CHECK(cudaMalloc(ptr, static_cast<size_t>(bytes)));
    });
}

reweigh_status_t reweigh_cuda_free(int32_t device_index, void* ptr) {
    return guarded([&] {
        if (ptr == nullptr) return;
        check_device_index(device_index);
        DeviceGuard guard(device_index);
        REWEIGH_CUDA_CHECK(cudaFree(ptr));
    });
}

reweigh_status_t reweigh_cuda_memcpy(void* dst, const void* src, int64_t bytes) {
    return guarded([&] {
        REWEIGH_CHECK_ARG(bytes >= 0, "bytes = %lld must be >= 0", static_cast<long long>(bytes));
        if (bytes == 0) return;
        REWEIGH_CHECK_ARG(dst != nullptr && src != nullptr, "dst or src is NULL (bytes = %lld)",
                          static_cast<long long>(bytes));
        if (reweigh::cuda::device_count() == 0) {
            REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "no CUDA device is available");
        }
        REWEIGH_CUDA_CHECK(cudaMemcpy(dst, src, static_cast<size_t>(bytes), cudaMemcpyDefault));
    });
}

reweigh_status_t reweigh_cuda_synchronize(int32_t device_index) {
    return guarded([&] {
        check_device_index(device_index);
        DeviceGuard guard(device_index);
        REWEIGH_CUDA_CHECK(cudaDeviceSynchronize());
    });
}


reweigh_status_t reweigh_cuda_set_validation_mode(int32_t mode) {
    return guarded([&] {
        REWEIGH_CHECK_ARG(mode == REWEIGH_CUDA_VALIDATION_SYNC || mode == REWEIGH_CUDA_VALIDATION_ASYNC,
                          "mode = %d is not REWEIGH_CUDA_VALIDATION_SYNC (0) or _ASYNC (1)", mode);
        reweigh::cuda::set_validation_async(mode == REWEIGH_CUDA_VALIDATION_ASYNC);
    });
}

int32_t reweigh_cuda_validation_mode(void) {
    return reweigh::cuda::validation_async() ? REWEIGH_CUDA_VALIDATION_ASYNC : REWEIGH_CUDA_VALIDATION_SYNC;
}

reweigh_status_t reweigh_cuda_deferred_status(int32_t device_index, uint64_t stream) {
    return guarded([&] {
        check_device_index(device_index);
        DeviceGuard guard(device_index);
        REWEIGH_CUDA_CHECK(cudaStreamSynchronize(reinterpret_cast<cudaStream_t>(static_cast<uintptr_t>(stream))));
        reweigh::cuda::raise_deferred(device_index);
    });
}

reweigh_status_t reweigh_cuda_release_cache(void) {
    return guarded([&] {
        if (reweigh::cuda::device_count() == 0) return;
        reweigh::cuda::release_cache();
    });
}

}  // extern "C"
