/*
 * simd_avx512.h: vector traits for ce_simd.h on AVX-512F and AVX512BW (16 fp32 lanes).
 * Include only from ce_avx512.cpp and ce_token_avx512.cpp (compiled with -mavx512f
 * -mavx512bw -mfma; isa.cpp runs them only where CPUID reports both).
 */
#ifndef REWEIGH_CPU_SIMD_AVX512_H
#define REWEIGH_CPU_SIMD_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#include "simd_exp.h"

struct Avx512 {
    using R = __m512;
    static constexpr int64_t W = 16;

    static R load(const float* p) { return _mm512_loadu_ps(p); }
    static void store(float* p, R x) { _mm512_storeu_ps(p, x); }
    /*
     * bf16 -> fp32: one vpermw (AVX512BW) puts bf16 i in the upper half of lane i (16-bit
     * word 2i + 1) and zeroes the even words by its mask: one ALU instruction where
     * widening and shifting take two. Only the 32 bytes of the row are loaded.
     */
    static R load_bf16(const uint16_t* p) {
        const __m512i h = _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
        const __m512i to_upper = _mm512_setr_epi32(  // word 2i + 1 <- word i
            0x00000000, 0x00010000, 0x00020000, 0x00030000, 0x00040000, 0x00050000, 0x00060000, 0x00070000,
            0x00080000, 0x00090000, 0x000a0000, 0x000b0000, 0x000c0000, 0x000d0000, 0x000e0000, 0x000f0000);
        return _mm512_castsi512_ps(_mm512_maskz_permutexvar_epi16(0xaaaaaaaau, to_upper, h));
    }
    /*
     * 2W bf16 -> fp32 in two vectors, the even elements in a and the odd ones
     * in b ([Note: bf16 lane order] in ce_simd.h): each 32-bit word holds two
     * bf16, the low one widens by a shift and the high one by a mask.
     */
    __attribute__((always_inline)) static void load_bf16_pair(const uint16_t* p, R& a, R& b) {
        const __m512i x = _mm512_loadu_si512(p);
        a = _mm512_castsi512_ps(_mm512_slli_epi32(x, 16));
        b = _mm512_castsi512_ps(_mm512_and_si512(x, _mm512_set1_epi32(static_cast<int>(0xffff0000u))));
    }
    /*
     * x rounded to bf16 in the upper 16 bits of each lane (the lower bits are
     * garbage): round to nearest even, NaN kept quiet, as float_to_bf16 in
     * common/bf16.h; kNaN false: x holds no NaN (the caller knows), no fix-up.
     */
    template <bool kNaN = true>
    __attribute__((always_inline)) static __m512i bf16_round(R x) {
        const __m512i bits = _mm512_castps_si512(x);
        const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
        const __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
        if (!kNaN) return rounded;
        const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
        return _mm512_mask_or_epi32(rounded, nan, bits, _mm512_set1_epi32(0x00400000));
    }
    template <bool kNaN = true>
    __attribute__((always_inline)) static __m256i bf16_bits(R x) { return _mm512_cvtepi32_epi16(_mm512_srli_epi32(bf16_round<kNaN>(x), 16)); }
    /* The inverse of load_bf16_pair: 2W bf16 in memory order (ternary logic 0xf8 = a | (b & c)). */
    template <bool kNaN = true>
    __attribute__((always_inline)) static __m512i bf16_pair_bits(R a, R b) {
        return _mm512_ternarylogic_epi32(_mm512_srli_epi32(bf16_round<kNaN>(a), 16), bf16_round<kNaN>(b),
                                         _mm512_set1_epi32(static_cast<int>(0xffff0000u)), 0xf8);
    }
    /*
     * 2W fp32 in memory order (a then b) -> 2W bf16 in memory order, one register: the
     * rounded bf16 of lane i is 16-bit word 2i + 1 of its vector, and one vpermt2w (AVX512BW)
     * picks words 1, 3, ..., 31 of a's and then of b's (table index 32 + k is b's word k).
     */
    template <bool kNaN = true>
    __attribute__((always_inline)) static __m512i bf16_ordered_bits(R a, R b) {
        const __m512i upper_words = _mm512_setr_epi32(  // 16-bit word j of the result: index 2j + 1
            0x00030001, 0x00070005, 0x000b0009, 0x000f000d, 0x00130011, 0x00170015, 0x001b0019, 0x001f001d,
            0x00230021, 0x00270025, 0x002b0029, 0x002f002d, 0x00330031, 0x00370035, 0x003b0039, 0x003f003d);
        return _mm512_permutex2var_epi16(bf16_round<kNaN>(a), upper_words, bf16_round<kNaN>(b));
    }
    template <bool kNaN = true>
    __attribute__((always_inline)) static void store_bf16(uint16_t* p, R x) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), bf16_bits<kNaN>(x));
    }
    /* Non-temporal stores (p aligned to the vector's bytes) and the fence that orders them. */
    static void stream(float* p, R x) { _mm512_stream_ps(p, x); }
    static void fence() { _mm_sfence(); }

    /* Packed bf16 pair bits (2W bf16, one register), stored or streamed as they are. */
    using I = __m512i;
    static void store_bits(uint16_t* p, I x) { _mm512_storeu_si512(p, x); }
    static void stream_bits(uint16_t* p, I x) { _mm512_stream_si512(reinterpret_cast<__m512i*>(p), x); }
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
     * exp(x) = 2^f * 2^n, f and n as in simd_exp.h; vscalefps applies 2^n and
     * overflows to +inf by itself. The zero-masking keeps x >= kMinArg and NaN
     * (the compare is "not less than, unordered"), so -inf, underflow and the
     * garbage a huge negative x makes in f all come out as exactly 0.
     */
    static R exp(R x) { return exp_nonpos(_mm512_min_ps(_mm512_set1_ps(SimdExpConstants::kMaxArg), x)); }  // min returns x when x is NaN

    /* Vector instructions exp(x) takes beyond exp_nonpos(x): the clamp. */
    static constexpr int kExpOverNonpos = 1;

    /* exp(x) for x <= 0 or NaN (the softmax pass's z' - max), where the clamp to kMaxArg returns x. */
    static R exp_nonpos(R x) {
        using C = SimdExpConstants;
        const __mmask16 keep = _mm512_cmp_ps_mask(x, _mm512_set1_ps(C::kMinArg), _CMP_NLT_UQ);
        const R k = _mm512_fmadd_ps(x, _mm512_set1_ps(C::kLog2eHi), _mm512_set1_ps(C::kRoundMagic));
        const R n = _mm512_sub_ps(k, _mm512_set1_ps(C::kRoundMagic));
        R f = _mm512_fmsub_ps(x, _mm512_set1_ps(C::kLog2eHi), n);
        f = _mm512_fmadd_ps(x, _mm512_set1_ps(C::kLog2eLo), f);
        R p = _mm512_set1_ps(C::kC5);
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(C::kC4));
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(C::kC3));
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(C::kC2));
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(C::kC1));
        p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(C::kC0));
        return _mm512_maskz_scalef_ps(keep, p, n);
    }

    /* tanh(x) = 1 - 2 / (exp(2x) + 1): exact limits at +-inf, abs error ~1e-7 near 0. */
    static R tanh(R x) {
        R e = exp(_mm512_add_ps(x, x));
        return _mm512_sub_ps(_mm512_set1_ps(1.0f),
                             _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
    }
};

#endif
