/*
 * simd_exp_variants.h: the library's vector exp (native/src/cpu/simd_exp.h)
 * per instruction set, one translation unit each with that set's -m flags
 * (simd_exp_avx2.cpp, simd_exp_avx512.cpp), for test_simd_exp.cpp.
 */
#ifndef REWEIGH_TESTS_SIMD_EXP_VARIANTS_H
#define REWEIGH_TESTS_SIMD_EXP_VARIANTS_H

#include <stdint.h>

/* y[i] = exp(x[i]) through the vector path; n must be a multiple of 16. */
void simd_exp_avx2(const float* x, float* y, int64_t n);
void simd_exp_avx512(const float* x, float* y, int64_t n);
/* The same through exp_nonpos, the softmax pass's exp for x <= 0 or NaN. */
void simd_exp_nonpos_avx2(const float* x, float* y, int64_t n);
void simd_exp_nonpos_avx512(const float* x, float* y, int64_t n);

#endif
