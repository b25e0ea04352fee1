/*
 * ce_token_avx512.cpp: the avx512 row kernels of reweigh_ce_backward_rows and the policy step:
 * token_simd.h instantiated over simd_avx512.h, built with the flags of
 * ce_avx512.cpp (native/CMakeLists.txt) and called only when isa.cpp selected
 * the avx512 variant.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "../common/bf16.h"
#include "../common/ce_row.h"
#include "../common/logit_io.h"
#include "../common/token_row.h"
#include "ce_kernels.h"
#include "token_kernels.h"

// Anonymous namespace: the same template built with other -m flags never merges (see ce_avx512.cpp).
namespace {
#include "simd_avx512.h"
#include "ce_simd.h"
#include "token_simd.h"
}  // namespace

namespace reweigh {
namespace cpu {

TokenRowFn token_row_avx512() { return TokenSimd<Avx512>::backward_row; }

CoefficientRowFn coefficient_row_avx512() { return TokenSimd<Avx512>::coefficient_row; }

}  // namespace cpu
}  // namespace reweigh
