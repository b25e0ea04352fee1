/*
 * test_simd_exp.cpp: the kernels' vector exp (native/src/cpu/simd_exp.h)
 * against the float64 exp over the whole float range: every 257th bit pattern
 * of all 2^32 (so every exponent and a spread of mantissas, both signs, the
 * infinities and NaNs), plus the edges of the clamps. The bound is the one
 * simd_exp.h documents: 3.5 ulp of the correctly rounded result where that is
 * a normal float, exactly 0 below kMinArg, +inf past overflow, NaN for NaN.
 */
#include <math.h>
#include <string.h>

#include <cfloat>
#include <vector>

#include <gtest/gtest.h>

#include "simd_exp_variants.h"

namespace {

using ExpFn = void (*)(const float*, float*, int64_t);

float from_bits(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}

constexpr double kMaxUlp = 3.5;
constexpr float kMinArg = -86.2968f;  // simd_exp.h: below it the result is 0

/* Units in the last place of the float nearest r (r a positive normal). */
double ulp_of(double r) {
    int e;
    frexp(r, &e);  // r = m 2^e, m in [0.5, 1)
    return ldexp(1.0, e - 24);
}

struct Worst {
    double ulp = 0;
    float x = 0;
};

/* Checks one block; returns the worst ulp error seen on normal results. */
void check_block(ExpFn fn, const std::vector<float>& x, Worst& worst) {
    std::vector<float> y(x.size());
    fn(x.data(), y.data(), static_cast<int64_t>(x.size()));
    for (size_t i = 0; i < x.size(); ++i) {
        const float xi = x[i];
        const float yi = y[i];
        if (isnan(xi)) {
            ASSERT_TRUE(isnan(yi)) << "exp(NaN) = " << yi;
            continue;
        }
        const double ref = exp(static_cast<double>(xi));
        if (xi < kMinArg) {
            ASSERT_EQ(yi, 0.0f) << "x = " << xi << " is below the flush threshold";
            continue;
        }
        // ref > FLT_MAX first: converting such a double to float is undefined behaviour.
        if (ref > FLT_MAX || static_cast<float>(ref) == INFINITY) {
            // Past overflow: +inf, or (within the bound of the boundary) FLT_MAX's neighbourhood.
            ASSERT_TRUE(yi == INFINITY || fabs(yi - ref) <= kMaxUlp * ulp_of(FLT_MAX))
                << "x = " << xi << " exp = " << yi;
            continue;
        }
        const double err = fabs(static_cast<double>(yi) - ref) / ulp_of(ref);
        ASSERT_LE(err, kMaxUlp) << "x = " << xi << " exp = " << yi << " float64 exp = " << ref;
        if (err > worst.ulp) {
            worst.ulp = err;
            worst.x = xi;
        }
    }
}

void check_all(ExpFn fn) {
    constexpr size_t kBlock = 1 << 16;
    std::vector<float> x;
    x.reserve(kBlock);
    Worst worst;
    for (uint64_t b = 0; b < (uint64_t{1} << 32); b += 257) {
        x.push_back(from_bits(static_cast<uint32_t>(b)));
        if (x.size() == kBlock) {
            check_block(fn, x, worst);
            if (::testing::Test::HasFatalFailure()) return;
            x.clear();
        }
    }
    // The edges: zeros, infinities, NaN, the flush threshold, overflow, tiny |x|.
    const float edges[] = {0.0f,      -0.0f,     INFINITY,          -INFINITY,
                           NAN,       -NAN,      kMinArg,           nextafterf(kMinArg, 0.0f),
                           nextafterf(kMinArg, -INFINITY), -87.33654f, -100.0f, -1e30f,
                           88.37626f, 88.7228f,  88.72284f,         88.8f,
                           89.0f,     1e30f,     FLT_MIN,           -FLT_MIN,
                           1e-8f,     -1e-8f,    0.34657359f,       -0.34657359f};
    for (float e : edges) x.push_back(e);
    while (x.size() % 16 != 0) x.push_back(1.0f);
    check_block(fn, x, worst);
    if (::testing::Test::HasFatalFailure()) return;
    EXPECT_GT(worst.ulp, 0.0) << "nothing was compared";
    ::testing::Test::RecordProperty("worst_ulp", std::to_string(worst.ulp));
    printf("worst error %.3f ulp at x = %.9g\n", worst.ulp, static_cast<double>(worst.x));
}

TEST(SimdExp, Avx2WithinBoundOverWholeRange) {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) GTEST_SKIP() << "no AVX2+FMA";
    check_all(simd_exp_avx2);
}

TEST(SimdExp, Avx512WithinBoundOverWholeRange) {
    if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "no AVX-512F";
    check_all(simd_exp_avx512);
}

/*
 * exp_nonpos (the softmax pass's exp, x <= 0 or NaN) equals exp bit for bit there: every
 * 257th bit pattern with the sign bit set (-0, every negative exponent, -inf, negative NaNs),
 * +0, positive NaNs and the edges of the flush threshold. The bound then carries over.
 */
void check_nonpos_equals_exp(ExpFn nonpos, ExpFn full) {
    std::vector<float> x;
    for (uint64_t b = uint64_t{1} << 31; b < (uint64_t{1} << 32); b += 257) x.push_back(from_bits(static_cast<uint32_t>(b)));
    const float edges[] = {0.0f, -0.0f, -INFINITY, NAN, -NAN, from_bits(0x7f800001u), from_bits(0xffc00001u),
                           kMinArg, nextafterf(kMinArg, 0.0f), nextafterf(kMinArg, -INFINITY), -1e-30f, -FLT_MIN};
    for (float e : edges) x.push_back(e);
    while (x.size() % 16 != 0) x.push_back(-1.0f);
    std::vector<float> y(x.size()), want(x.size());
    nonpos(x.data(), y.data(), static_cast<int64_t>(x.size()));
    full(x.data(), want.data(), static_cast<int64_t>(x.size()));
    for (size_t i = 0; i < x.size(); ++i) {
        if (isnan(x[i])) {
            ASSERT_TRUE(isnan(y[i])) << "exp_nonpos(NaN) = " << y[i];
            continue;
        }
        uint32_t got, exp_bits;
        memcpy(&got, &y[i], 4);
        memcpy(&exp_bits, &want[i], 4);
        ASSERT_EQ(got, exp_bits) << "x = " << x[i] << ": exp_nonpos " << y[i] << ", exp " << want[i];
    }
}

TEST(SimdExp, Avx2NonPositiveEqualsExp) {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) GTEST_SKIP() << "no AVX2+FMA";
    check_nonpos_equals_exp(simd_exp_nonpos_avx2, simd_exp_avx2);
}

TEST(SimdExp, Avx512NonPositiveEqualsExp) {
    if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "no AVX-512F";
    check_nonpos_equals_exp(simd_exp_nonpos_avx512, simd_exp_avx512);
}

}  // namespace
