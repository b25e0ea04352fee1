/*
 * ce_token_avx512.cpp: the avx512 row kernels of reweigh_ce_backward_rows and the policy step:
 * token_simd.h instantiated over simd_avx512.h (token_isa.h), built with the flags of
 * ce_avx512.cpp (native/CMakeLists.txt) and called only when isa.cpp selected
 * the avx512 variant.
 */
#define REWEIGH_TOKEN_SIMD_HEADER "simd_avx512.h"
#define REWEIGH_TOKEN_SIMD Avx512
#define REWEIGH_TOKEN_ROW token_row_avx512
#define REWEIGH_COEFFICIENT_ROW coefficient_row_avx512
#include "token_isa.h"
