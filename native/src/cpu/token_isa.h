/*
 * token_isa.h: the body of one per-ISA translation unit of the per-row
 * coefficient kernels (ce_token_avx2.cpp, ce_token_avx512.cpp): token_simd.h
 * instantiated over one SIMD traits header, and the two accessors
 * token_kernels.h declares for that ISA. The including file defines
 *   REWEIGH_TOKEN_SIMD_HEADER  the traits header, e.g. "simd_avx2.h"
 *   REWEIGH_TOKEN_SIMD         the traits type it defines, e.g. Avx2
 *   REWEIGH_TOKEN_ROW          the accessor names token_kernels.h declares,
 *   REWEIGH_COEFFICIENT_ROW    e.g. token_row_avx2 and coefficient_row_avx2
 * and is built with that ISA's -m flags (native/CMakeLists.txt); isa.cpp's
 * selection decides whether the accessors are ever called.
 */
#pragma once

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
// Every header the three below include is included above, so its guard keeps it out of the namespace.
namespace {
#include REWEIGH_TOKEN_SIMD_HEADER
#include "ce_simd.h"
#include "token_simd.h"
}  // namespace

namespace reweigh {
namespace cpu {

TokenRowFn REWEIGH_TOKEN_ROW() { return TokenSimd<REWEIGH_TOKEN_SIMD>::backward_row; }

CoefficientRowFn REWEIGH_COEFFICIENT_ROW() { return TokenSimd<REWEIGH_TOKEN_SIMD>::coefficient_row; }

}  // namespace cpu
}  // namespace reweigh
