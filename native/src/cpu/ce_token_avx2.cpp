/*
 * ce_token_avx2.cpp: the avx2 row kernels of reweigh_ce_backward_rows and the policy step:
 * token_simd.h instantiated over simd_avx2.h (token_isa.h), built with the flags of
 * ce_avx2.cpp (native/CMakeLists.txt) and called only when isa.cpp selected
 * the avx2 variant.
 */
#define REWEIGH_TOKEN_SIMD_HEADER "simd_avx2.h"
#define REWEIGH_TOKEN_SIMD Avx2
#define REWEIGH_TOKEN_ROW token_row_avx2
#define REWEIGH_COEFFICIENT_ROW coefficient_row_avx2
#include "token_isa.h"
