/*
 * simd_avx512.h: vector traits for ce_simd.h on AVX-512F (16 fp32 lanes).
 * Include only from ce_avx512.cpp (compiled with -mavx512f -mfma).
 */
#ifndef REWEIGH_CPU_SIMD_AVX512_H
#define REWEIGH_CPU_SIMD_AVX512_H

#include <immintrin.h>
#include <stdint.h>

struct Avx512 {
    using R = __m512;
    static constexpr int64_t W = 16;

    static R load(const float* p) { return _mm512_loadu_ps(p); }
    static void store(float* p, R x) { _mm512_storeu_ps(p, x); }
    /* bf16 -> fp32: widen to 32 bits and shift into the upper half. */
    static R load_bf16(const uint16_t* p) {
        __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
    /* fp32 -> bf16, round to nearest even, NaN kept quiet (as float_to_bf16 in common/bf16.h). */
    static void store_bf16(uint16_t* p, R x) {
        __m512i bits = _mm512_castps_si512(x);
        __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
        __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
        __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
        __m512i quiet = _mm512_or_si512(bits, _mm512_set1_epi32(0x00400000));
        __m512i chosen = _mm512_mask_blend_epi32(nan, rounded, quiet);
        __m256i h = _mm512_cvtepi32_epi16(_mm512_srli_epi32(chosen, 16));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), h);
    }
    static R set1(float x) { return _mm512_set1_ps(x); }
    static R zero() { return _mm512_setzero_ps(); }
    static R add(R a, R b) { return _mm512_add_ps(a, b); }
    static R sub(R a, R b) { return _mm512_sub_ps(a, b); }
    static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
    static R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
    static R max(R a, R b) { return _mm512_max_ps(a, b); }
    static float reduce_max(R a) { return _mm512_reduce_max_ps(a); }
    static float reduce_add(R a) { return _mm512_reduce_add_ps(a); }

    /*
     * exp(x): x = n ln2 + r with |r| <= ln2/2, e^r by the Cephes expf
     * polynomial (about 1 ulp), 2^n applied by vscalefps, which saturates to 0
     * and +inf by itself. x is clamped first so -inf - n*ln2 never makes a NaN;
     * max(lo, x) returns x when x is NaN, so NaN still propagates.
     * See [Note: exp underflow] in ce_simd.h.
     */
    static R exp(R x) {
        x = _mm512_max_ps(_mm512_set1_ps(-87.33654f), x);
        x = _mm512_min_ps(_mm512_set1_ps(88.72284f), x);
        R n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        R r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
        r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
        R q = _mm512_set1_ps(1.9875691500e-4f);
        q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.3981999507e-3f));
        q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(8.3334519073e-3f));
        q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(4.1665795894e-2f));
        q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.6666665459e-1f));
        q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(5.0000001201e-1f));
        q = _mm512_fmadd_ps(_mm512_mul_ps(q, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
        R y = _mm512_scalef_ps(q, n);
        // Below the clamp the true value is < 1.2e-38: flush to exactly 0.
        __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.33654f), _CMP_LE_OQ);
        return _mm512_mask_blend_ps(tiny, y, _mm512_setzero_ps());
    }

    /* tanh(x) = 1 - 2 / (exp(2x) + 1): exact limits at +-inf, abs error ~1e-7 near 0. */
    static R tanh(R x) {
        R e = exp(_mm512_add_ps(x, x));
        return _mm512_sub_ps(_mm512_set1_ps(1.0f),
                             _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
    }
};

#endif
