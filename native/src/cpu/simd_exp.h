/*
 * simd_exp.h: the constants of the vector exp shared by simd_avx2.h and
 * simd_avx512.h. Include only from those headers.
 *
 * exp(x) = 2^t with t = x log2(e), split as t = n + f, n = round(t), |f| <= 1/2:
 *
 *   k = x * log2e + kRoundMagic      one FMA rounds t to an integer: k's low
 *                                    mantissa bits hold n (for |t| < 2^22)
 *   n = k - kRoundMagic              exact
 *   f = x * kLog2eHi - n + x * kLog2eLo    two FMAs; the two-part log2(e)
 *                                    keeps f's error near 2^-25 for |x| <= 89
 *   2^f by the degree-5 polynomial kExp2Poly (Horner, five FMAs)
 *   2^n applied to the exponent: vscalefps on AVX-512, an integer add to the
 *   exponent field on AVX2.
 *
 * kExp2Poly is the relative-error minimax polynomial of 2^f on [-1/2, 1/2]
 * (Remez exchange in 40-digit arithmetic) rounded to float, with the constant
 * term rounded to exactly 1 so exp(0) = 1. Its own relative error is 7.5e-8;
 * with the float rounding of f and of the Horner steps the whole function
 * stays within 3.5 ulp of the correctly rounded exp on every normal result
 * (native/tests/test_simd_exp.cpp compares every 257th of the 2^32 float bit
 * patterns, both signs and every exponent, plus the edges, with the float64
 * exp and asserts that bound; the worst seen is 3.0 ulp).
 *
 * Special values: NaN -> NaN; +inf and x > 88.73 -> +inf; -inf and results
 * below 2^-124.5 (x < -86.2968, true value < 3.4e-38) -> exactly 0. Flushing
 * those to 0 keeps every result normal, so no microcode assist ever runs and
 * -inf logits give e = 0 exactly (see [Note: exp underflow] in ce_simd.h).
 *
 * Cost per vector: about 12 uops on AVX-512 and 16 on AVX2, against 18 and 20
 * for the Cephes reduction (two-constant ln 2, degree-6 polynomial, clamps
 * and a blend) the kernels used before.
 *
 * exp_nonpos is the same function for x <= 0 or NaN, the arguments z' - max
 * of the softmax pass: no clamp to kMaxArg, and on AVX2 no halved
 * coefficients and final * 2 (those exist only so n = 128 overflows to +inf).
 * It equals exp bit for bit on that range (test_simd_exp.cpp checks it), at
 * 11 and 14 uops per vector.
 */
#ifndef REWEIGH_CPU_SIMD_EXP_H
#define REWEIGH_CPU_SIMD_EXP_H

struct SimdExpConstants {
    /* 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer. */
    static constexpr float kRoundMagic = 12582912.0f;
    static constexpr float kLog2eHi = 1.44269502162933349609375f;      /* float(log2 e) */
    static constexpr float kLog2eLo = 1.925963033500011079013347625732421875e-8f; /* log2 e - kLog2eHi */
    /* Above this x the result overflows (ln FLT_MAX = 88.7228); inputs are clamped here. */
    static constexpr float kMaxArg = 88.8f;
    /* Below this x (n <= -125) the result is flushed to 0. */
    static constexpr float kMinArg = -86.2968f; /* -124.5 ln 2 = -86.29682, rounded up */
    /* 2^f on [-1/2, 1/2], c0 .. c5. */
    static constexpr float kC0 = 1.0f;
    static constexpr float kC1 = 0x1.62e428p-1f;
    static constexpr float kC2 = 0x1.ebf918p-3f;
    static constexpr float kC3 = 0x1.c6b6e4p-5f;
    static constexpr float kC4 = 0x1.3d0c52p-7f;
    static constexpr float kC5 = 0x1.5c08e6p-10f;
};

#endif
