/* The AVX-512 vector exp for test_simd_exp.cpp (built with -mavx512f -mfma). */
#include "simd_exp_variants.h"

#include "../src/cpu/simd_avx512.h"

void simd_exp_avx512(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; i += Avx512::W) Avx512::store(y + i, Avx512::exp(Avx512::load(x + i)));
}

void simd_exp_nonpos_avx512(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; i += Avx512::W) Avx512::store(y + i, Avx512::exp_nonpos(Avx512::load(x + i)));
}
