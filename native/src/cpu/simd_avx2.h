/*
 * simd_avx2.h: vector traits for ce_simd.h on AVX2 + FMA (8 fp32 lanes).
 * Include only from ce_avx2.cpp (compiled with -mavx2 -mfma).
 */
#ifndef REWEIGH_CPU_SIMD_AVX2_H
#define REWEIGH_CPU_SIMD_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#include "simd_exp.h"

struct Avx2 {
    using R = __m256;
    static constexpr int64_t W = 8;

    static R load(const float* p) { return _mm256_loadu_ps(p); }
    static void store(float* p, R x) { _mm256_storeu_ps(p, x); }
    /*
     * bf16 -> fp32: the 16 bytes broadcast to both 128-bit halves (vbroadcasti128, a load
     * with no ALU uop), then one vpshufb puts word i of the half it needs in the upper half
     * of lane i and zeros below: one ALU instruction where widening and shifting take two.
     */
    static R load_bf16(const uint16_t* p) {
        const __m256i h = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
        const __m256i to_upper = _mm256_setr_epi8(-1, -1, 0, 1, -1, -1, 2, 3, -1, -1, 4, 5, -1, -1, 6, 7,  //
                                                  -1, -1, 8, 9, -1, -1, 10, 11, -1, -1, 12, 13, -1, -1, 14, 15);
        return _mm256_castsi256_ps(_mm256_shuffle_epi8(h, to_upper));
    }
    /* 2W bf16 -> even elements in a, odd ones in b, as in simd_avx512.h. */
    __attribute__((always_inline)) static void load_bf16_pair(const uint16_t* p, R& a, R& b) {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        a = _mm256_castsi256_ps(_mm256_slli_epi32(x, 16));
        b = _mm256_castsi256_ps(_mm256_and_si256(x, _mm256_set1_epi32(static_cast<int>(0xffff0000u))));
    }
    /* x rounded to bf16 in the upper 16 bits of each lane, as in simd_avx512.h (kNaN false: no NaN fix-up). */
    template <bool kNaN = true>
    __attribute__((always_inline)) static __m256i bf16_round(R x) {
        const __m256i bits = _mm256_castps_si256(x);
        const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
        const __m256i rounded = _mm256_add_epi32(bits, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));
        if (!kNaN) return rounded;
        const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q));
        const __m256i quiet = _mm256_or_si256(bits, _mm256_set1_epi32(0x00400000));
        return _mm256_blendv_epi8(rounded, quiet, nan);
    }
    template <bool kNaN = true>
    __attribute__((always_inline)) static __m128i bf16_bits(R x) {
        const __m256i hi = _mm256_srli_epi32(bf16_round<kNaN>(x), 16);
        // Pack 8 x u32 (each < 2^16) to 8 x u16: packus works per 128-bit lane.
        return _mm_packus_epi32(_mm256_castsi256_si128(hi), _mm256_extracti128_si256(hi, 1));
    }
    /*
     * The inverse of load_bf16_pair: the odd 16-bit words (each lane's upper half) come from b.
     * kNaN false rounds the pair's 16-bit words at once, 9 instructions where two bf16_round
     * take 10: with H a value's upper word and L its lower one, the rounded word is H + carry,
     * carry = (L + 0x7fff + (H & 1)) >> 16, the top bit of vpavgw(L, 0x7ffe + (H & 1)) =
     * (L + 0x7fff + (H & 1)) >> 1; the same bits as bf16_round for every input.
     */
    template <bool kNaN = true>
    __attribute__((always_inline)) static __m256i bf16_pair_bits(R a, R b) {
        if (kNaN) return _mm256_blend_epi16(_mm256_srli_epi32(bf16_round<kNaN>(a), 16), bf16_round<kNaN>(b), 0xaa);
        const __m256i ia = _mm256_castps_si256(a), ib = _mm256_castps_si256(b);
        const __m256i hi = _mm256_blend_epi16(_mm256_srli_epi32(ia, 16), ib, 0xaa);
        const __m256i lo = _mm256_blend_epi16(ia, _mm256_slli_epi32(ib, 16), 0xaa);
        return rounded_words(hi, lo);
    }
    /* Upper words hi rounded to nearest even by lower words lo, 16 bits at a time (bf16_pair_bits' carry). */
    __attribute__((always_inline)) static __m256i rounded_words(__m256i hi, __m256i lo) {
        const __m256i k = _mm256_or_si256(_mm256_and_si256(hi, _mm256_set1_epi16(1)), _mm256_set1_epi16(0x7ffe));
        return _mm256_add_epi16(hi, _mm256_srli_epi16(_mm256_avg_epu16(lo, k), 15));
    }
    /*
     * 2W fp32 in memory order (a then b) -> 2W bf16 in memory order: packus works per 128-bit lane, vpermq puts the
     * quarters back. kNaN false splits each 128-bit lane into its lower and upper 16-bit words (vpshufb), gathers
     * a's and b's (vpunpck{l,h}qdq) and rounds them as bf16_pair_bits<false> does: 10 instructions where two
     * bf16_round take 12, and 2 of them (vpavgw, vpsrlw) on the FMA ports where those take 4 shifts.
     */
    template <bool kNaN = true>
    __attribute__((always_inline)) static __m256i bf16_ordered_bits(R a, R b) {
        if (!kNaN) {
            const __m256i split = _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15,
                                                   0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
            const __m256i sa = _mm256_shuffle_epi8(_mm256_castps_si256(a), split);
            const __m256i sb = _mm256_shuffle_epi8(_mm256_castps_si256(b), split);
            const __m256i lo = _mm256_unpacklo_epi64(sa, sb), hi = _mm256_unpackhi_epi64(sa, sb);
            return _mm256_permute4x64_epi64(rounded_words(hi, lo), 0xd8);
        }
        const __m256i lo = _mm256_srli_epi32(bf16_round<kNaN>(a), 16), hi = _mm256_srli_epi32(bf16_round<kNaN>(b), 16);
        return _mm256_permute4x64_epi64(_mm256_packus_epi32(lo, hi), 0xd8);
    }
    template <bool kNaN = true>
    __attribute__((always_inline)) static void store_bf16(uint16_t* p, R x) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), bf16_bits<kNaN>(x)); }
    /* Non-temporal stores (p aligned to the vector's bytes) and the fence that orders them. */
    static void stream(float* p, R x) { _mm256_stream_ps(p, x); }
    static void fence() { _mm_sfence(); }

    /* Packed bf16 pair bits (2W bf16, one register), stored or streamed as they are. */
    using I = __m256i;
    static void store_bits(uint16_t* p, I x) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), x); }
    static void stream_bits(uint16_t* p, I x) { _mm256_stream_si256(reinterpret_cast<__m256i*>(p), x); }

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
     * exp(x) = 2^f * 2^n, f and n as in simd_exp.h. The polynomial runs on
     * halved coefficients (q = 2^f / 2 exactly), 2^n goes into q's exponent
     * field by an integer add, and the final * 2 lets IEEE arithmetic overflow
     * to +inf for n = 128; with n >= -124 the field never underflows. n comes
     * through cvtps2dq, which turns a NaN into 0x80000000 (0 once shifted), so
     * a NaN's payload never reaches the exponent. The and-mask keeps
     * x >= kMinArg and NaN ("not less than, unordered"), so -inf, underflow and
     * the garbage a huge negative x makes in f all come out as exactly 0.
     */
    static R exp(R x) { return exp_of<true>(x); }

    /* Vector instructions exp(x) takes beyond exp_nonpos(x): the clamp and the final * 2. */
    static constexpr int kExpOverNonpos = 2;

    /*
     * exp(x) for x <= 0 or NaN (the softmax pass's z' - max): no clamp, and
     * the unhalved coefficients with no final * 2. Halving every coefficient
     * halves every Horner step exactly (normal floats), so this equals exp(x)
     * bit for bit there, in 14 instructions for 16: with x in [kMinArg, 0],
     * 2^f lies in [0.70, 1.42] and n >= -124 keeps the exponent field normal.
     */
    static R exp_nonpos(R x) { return exp_of<false>(x); }

    template <bool kAnyX>
    __attribute__((always_inline)) static R exp_of(R x) {
        using C = SimdExpConstants;
        constexpr float h = kAnyX ? 0.5f : 1.0f;  // coefficient scale, undone by the final * 2
        const R keep = _mm256_cmp_ps(x, _mm256_set1_ps(C::kMinArg), _CMP_NLT_UQ);
        if (kAnyX) x = _mm256_min_ps(_mm256_set1_ps(C::kMaxArg), x);  // returns x when x is NaN
        const R magic = _mm256_set1_ps(C::kRoundMagic);
        const R n = _mm256_sub_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(C::kLog2eHi), magic), magic);
        R f = _mm256_fmsub_ps(x, _mm256_set1_ps(C::kLog2eHi), n);
        f = _mm256_fmadd_ps(x, _mm256_set1_ps(C::kLog2eLo), f);
        R q = _mm256_set1_ps(h * C::kC5);
        q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(h * C::kC4));
        q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(h * C::kC3));
        q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(h * C::kC2));
        q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(h * C::kC1));
        q = _mm256_fmadd_ps(q, f, _mm256_set1_ps(h * C::kC0));
        const __m256i e = _mm256_slli_epi32(_mm256_cvtps_epi32(n), 23);
        R y = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(q), e));
        if (kAnyX) y = _mm256_mul_ps(y, _mm256_set1_ps(2.0f));
        return _mm256_and_ps(y, keep);
    }

    static R tanh(R x) {
        R e = exp(_mm256_add_ps(x, x));
        return _mm256_sub_ps(_mm256_set1_ps(1.0f),
                             _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
    }
};

#endif
