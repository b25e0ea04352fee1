#include "isa.h"

#include <cpuid.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>

#include "../common/errors.h"

namespace reweigh {
namespace cpu {
namespace {

uint64_t xgetbv0() {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
}

struct Features {
    bool avx2 = false;
    bool avx512 = false;
};

Features detect() {
    Features f;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    const bool osxsave = (c & bit_OSXSAVE) != 0;
    const bool avx = (c & bit_AVX) != 0;
    const bool fma = (c & bit_FMA) != 0;
    if (!osxsave || !avx) return f;
    const uint64_t xcr0 = xgetbv0();
    const bool os_ymm = (xcr0 & 0x6) == 0x6;     // XMM and YMM state saved by the OS
    const bool os_zmm = (xcr0 & 0xe6) == 0xe6;   // plus opmask, ZMM_Hi256, Hi16_ZMM
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
    f.avx2 = os_ymm && fma && (b & bit_AVX2) != 0;
    // The AVX-512 units use AVX512BW too (vpermt2w in simd_avx512.h's bf16 stores).
    f.avx512 = f.avx2 && os_zmm && (b & bit_AVX512F) != 0 && (b & bit_AVX512BW) != 0;
    return f;
}

const Features& features() {
    static const Features f = detect();
    return f;
}

const CeRowKernels* best_available() {
    if (features().avx512 && avx512_kernels() != nullptr) return avx512_kernels();
    if (features().avx2 && avx2_kernels() != nullptr) return avx2_kernels();
    return &scalar_kernels();
}

const CeRowKernels* by_name(const char* name) {
    if (strcmp(name, "auto") == 0) return best_available();
    if (strcmp(name, "scalar") == 0) return &scalar_kernels();
    if (strcmp(name, "avx2") == 0) {
        if (!features().avx2 || avx2_kernels() == nullptr)
            REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "CPU ISA 'avx2' is not supported by this CPU/OS or build");
        return avx2_kernels();
    }
    if (strcmp(name, "avx512") == 0) {
        if (!features().avx512 || avx512_kernels() == nullptr)
            REWEIGH_FAIL(REWEIGH_STATUS_UNSUPPORTED, "CPU ISA 'avx512' is not supported by this CPU/OS or build");
        return avx512_kernels();
    }
    REWEIGH_FAIL(REWEIGH_STATUS_INVALID_ARGUMENT, "isa '%s' is not one of scalar, avx2, avx512, auto", name);
}

const CeRowKernels* initial() {
    const char* env = getenv("REWEIGH_CPU_ISA");
    if (env != nullptr && env[0] != '\0') {
        try {
            return by_name(env);
        } catch (const Error&) {
            // An unusable override falls back to auto-selection; reweigh_cpu_isa() shows the result.
        }
    }
    return best_available();
}

std::atomic<const CeRowKernels*>& current() {
    static std::atomic<const CeRowKernels*> k{initial()};
    return k;
}

}  // namespace

bool cpu_has_avx2() { return features().avx2; }
bool cpu_has_avx512() { return features().avx512; }

const CeRowKernels& active_kernels() { return *current().load(std::memory_order_acquire); }

void select_isa(const char* name) { current().store(by_name(name), std::memory_order_release); }

}  // namespace cpu
}  // namespace reweigh
