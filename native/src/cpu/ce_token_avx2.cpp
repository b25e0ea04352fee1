/*
 * ce_token_avx2.cpp: the avx2 row kernels of reweigh_ce_backward_rows and the policy step:
 * token_simd.h instantiated over simd_avx2.h, built with the flags of
 * ce_avx2.cpp (native/CMakeLists.txt) and called only when isa.cpp selected
 * the avx2 variant.
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

// Anonymous namespace: the same template built with other -m flags never merges (see ce_avx2.cpp).
namespace {
#include "simd_avx2.h"
#include "ce_simd.h"
#include "token_simd.h"
}  // namespace

namespace reweigh {
namespace cpu {

TokenRowFn token_row_avx2() { return TokenSimd<Avx2>::backward_row; }

CoefficientRowFn coefficient_row_avx2() { return TokenSimd<Avx2>::coefficient_row; }

}  // namespace cpu
}  // namespace reweigh
