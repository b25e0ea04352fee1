/*
 * ce_avx512.cpp: the avx512 CPU variant: ce_simd.h instantiated over simd_avx512.h.
 * Built with its own -m flags (native/CMakeLists.txt); selected at run time by
 * isa.cpp only when CPUID and XGETBV say this CPU and OS support it.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "../common/bf16.h"
#include "../common/ce_row.h"
#include "ce_kernels.h"

// The variant's internals live in an anonymous namespace so the same template
// compiled with other -m flags in another file never merges with this one
// (see ATen's native/cpu/README.md). Everything they include is already
// included above, so the include guards keep system headers out of it.
namespace {
#include "simd_avx512.h"
#include "ce_simd.h"

using K = SimdRowKernels<Avx512>;
}  // namespace

namespace reweigh {
namespace cpu {

const CeRowKernels* avx512_kernels() {
    static const CeRowKernels table = {"avx512", K::forward_row, K::forward_backward_row, K::backward_row,
                                       K::exp_sum};
    return &table;
}

}  // namespace cpu
}  // namespace reweigh
