/* The AVX2 vector exp for test_simd_exp.cpp (built with -mavx2 -mfma). */
#include "simd_exp_variants.h"

#include "../src/cpu/simd_avx2.h"

void simd_exp_avx2(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; i += Avx2::W) Avx2::store(y + i, Avx2::exp(Avx2::load(x + i)));
}

void simd_exp_nonpos_avx2(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; i += Avx2::W) Avx2::store(y + i, Avx2::exp_nonpos(Avx2::load(x + i)));
}
