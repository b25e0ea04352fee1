/*
 * simd_avx2.h: vector traits for ce_simd.h on AVX2 + FMA (8 fp32 lanes).
 * Include only from ce_avx2.cpp (compiled with -mavx2 -mfma).
 */
#ifndef REWEIGH_CPU_SIMD_AVX2_H
#define REWEIGH_CPU_SIMD_AVX2_H

#include <immintrin.h>
#include <stdint.h>

struct Avx2 {
    using R = __m256;
    static constexpr int64_t W = 8;

    static R load(const float* p) { return _mm256_loadu_ps(p); }
    static void store(float* p, R x) { _mm256_storeu_ps(p, x); }
    static R load_bf16(const uint16_t* p) {
        __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
    /* fp32 -> bf16, round to nearest even, NaN kept quiet (as float_to_bf16 in common/bf16.h). */
    static void store_bf16(uint16_t* p, R x) {
        __m256i bits = _mm256_castps_si256(x);
        __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
        __m256i rounded = _mm256_add_epi32(bits, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));
        __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q));
        __m256i quiet = _mm256_or_si256(bits, _mm256_set1_epi32(0x00400000));
        __m256i chosen = _mm256_blendv_epi8(rounded, quiet, nan);
        __m256i hi = _mm256_srli_epi32(chosen, 16);
        // Pack 8 x u32 (each < 2^16) to 8 x u16: packus works per 128-bit lane.
        __m128i lo128 = _mm256_castsi256_si128(hi);
        __m128i hi128 = _mm256_extracti128_si256(hi, 1);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_packus_epi32(lo128, hi128));
    }
    static R set1(float x) { return _mm256_set1_ps(x); }
    static R zero() { return _mm256_setzero_ps(); }
    static R add(R a, R b) { return _mm256_add_ps(a, b); }
    static R sub(R a, R b) { return _mm256_sub_ps(a, b); }
    static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
    static R fmadd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
    static R max(R a, R b) { return _mm256_max_ps(a, b); }
    static float reduce_max(R a) {
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        return _mm_cvtss_f32(m);
    }
    static float reduce_add(R a) {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_movehdup_ps(s));
        return _mm_cvtss_f32(s);
    }

    /*
     * exp(x): same reduction and polynomial as Avx512::exp; 2^n is built in the
     * exponent field, so n is kept in [-126, 127] by the clamp and values below
     * it flush to 0. See [Note: exp underflow] in ce_simd.h.
     */
    static R exp(R x) {
        const R lo = _mm256_set1_ps(-87.33654f);
        R tiny = _mm256_cmp_ps(x, lo, _CMP_LE_OQ);
        x = _mm256_max_ps(lo, x);
        x = _mm256_min_ps(_mm256_set1_ps(88.37626f), x);
        R n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        R r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
        r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
        R q = _mm256_set1_ps(1.9875691500e-4f);
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.3981999507e-3f));
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(8.3334519073e-3f));
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(4.1665795894e-2f));
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.6666665459e-1f));
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(5.0000001201e-1f));
        q = _mm256_fmadd_ps(_mm256_mul_ps(q, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
        __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
        R y = _mm256_mul_ps(q, _mm256_castsi256_ps(e));
        return _mm256_blendv_ps(y, _mm256_setzero_ps(), tiny);
    }

    static R tanh(R x) {
        R e = exp(_mm256_add_ps(x, x));
        return _mm256_sub_ps(_mm256_set1_ps(1.0f),
                             _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
    }
};

#endif
