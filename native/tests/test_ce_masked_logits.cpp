/*
 * test_ce_masked_logits.cpp: a -inf logit (a masked token) counts as a logit
 * too small for its exponential to register, bit for bit.
 *
 * The entropy's sum s = sum e (z' - m) meets 0 * (-inf) at a -inf logit; the
 * kernels clamp z' - m at -100 there, and the SIMD exp pass sums the
 * unclamped product and sums the row again with the clamp only when s comes
 * out NaN ([Note: the clamp in s] in src/cpu/ce_simd.h). A finite logit of
 * -2^126 has e = 0 and e (z' - m) = -0 = 0 * (-100), so every statistic and
 * gradient element of a row with -inf logits must have the bits of the same
 * row with those logits at -2^126: on every ISA, fp32 and bf16, -inf in the
 * vector body and the scalar tail, next to a NaN logit (a NaN row either way,
 * payload included) or a +inf one, with and without a logit scale.
 */
#include <gtest/gtest.h>

#include <math.h>

#include "test_support.h"

namespace reftest {
namespace {

constexpr int64_t kTarget = 4;  // never masked below

/* Six rows: plain, -inf (body and tail), many -inf, -inf + NaN, plain, -inf + +inf; one row per sample. */
Problem masked_problem(const reweigh_ce_options_t& options, int64_t vocab, uint64_t seed, float masked) {
    GenSpec gen;
    gen.rows = 6;
    gen.vocab = vocab;
    gen.ignore_fraction = 0.0;
    gen.bf16_values = true;
    Problem p = make_problem(gen, options, seed);
    p.offsets.clear();
    for (int64_t r = 0; r <= p.rows; ++r) p.offsets.push_back(r);
    p.coefficients.assign(static_cast<size_t>(p.rows), 1.0);
    p.targets.assign(static_cast<size_t>(p.rows), kTarget);
    auto at = [&](int64_t r, int64_t v) -> double& { return p.logits[static_cast<size_t>(r * vocab + v)]; };
    for (int64_t v : {int64_t{0}, vocab / 3, vocab - 1}) at(1, v) = masked;
    for (int64_t v = 3; v < vocab; v += 7) at(2, v) = masked;
    at(3, 1) = masked;
    at(3, vocab / 2) = NAN;
    at(5, 2) = masked;
    at(5, vocab / 4 + 5) = INFINITY;
    return p;
}

struct Outputs {
    std::vector<float> fwd, fb;  // per row: lse, logp, entropy, loss
    std::vector<double> grad;
};

Outputs outputs(const Problem& p, int32_t dtype) {
    Layout layout;
    layout.logits_dtype = dtype;
    Outputs o;
    Buffers b(p, layout);
    Stats st(p.samples(), p.rows);
    EXPECT_EQ(reweigh_ce_forward(&b.batch, &p.options, &st.view), REWEIGH_STATUS_OK) << reweigh_last_error();
    FwdBwd f(p, layout);
    EXPECT_EQ(f.status, REWEIGH_STATUS_OK) << reweigh_last_error();
    for (size_t r = 0; r < static_cast<size_t>(p.rows); ++r) {
        o.fwd.insert(o.fwd.end(), {st.row_lse[r], st.row_logp[r], st.row_entropy[r], st.loss[r]});
        o.fb.insert(o.fb.end(), {f.st.row_lse[r], f.st.row_logp[r], f.st.row_entropy[r], f.st.loss[r]});
    }
    o.grad = read_grad(f.g);
    return o;
}

TEST(MaskedLogits, EveryIsaMinusInfinityGivesTheBitsOfAVanishingLogit) {
    IsaGuard guard;
    reweigh_ce_options_t base = reweigh_ce_options_default();
    base.token_reduction = REWEIGH_TOKEN_REDUCTION_SUM;
    base.normalization = REWEIGH_NORMALIZATION_NONE;
    reweigh_ce_options_t scaled = base;
    scaled.logit_scale = 1.3f;
    const float vanishing = -0x1p126f;  // exact in bf16; e = 0 after any max
    int ran = 0;
    uint64_t seed = 9090;
    // 40: pairs and a single vector; 1003: a scalar tail; 16411: streamed gradient rows.
    for (int64_t vocab : {40, 1003, 16411}) {
        for (const reweigh_ce_options_t& options : {base, scaled}) {
            ++seed;
            const Problem masked = masked_problem(options, vocab, seed, -INFINITY);
            const Problem finite = masked_problem(options, vocab, seed, vanishing);
            for (const std::string& isa : all_isas()) {
                if (!select_isa(isa)) continue;
                for (int32_t dtype : {REWEIGH_DTYPE_F32, REWEIGH_DTYPE_BF16}) {
                    const std::string tag = isa + (dtype == REWEIGH_DTYPE_F32 ? " f32" : " bf16") +
                                            " V=" + std::to_string(vocab) +
                                            (options.logit_scale != 1.0f ? " scale=1.3" : "");
                    const Outputs got = outputs(masked, dtype), want = outputs(finite, dtype);
                    EXPECT_TRUE(bit_equal(tag + " forward (lse, logp, entropy, loss) per row", got.fwd, want.fwd));
                    EXPECT_TRUE(bit_equal(tag + " forwardBackward stats per row", got.fb, want.fb));
                    EXPECT_TRUE(bit_equal(tag + " gradient", got.grad, want.grad));
                    EXPECT_TRUE(std::isfinite(got.fwd[4 * 1 + 2]) && std::isfinite(got.fwd[4 * 2 + 2])) << tag;
                    EXPECT_TRUE(std::isnan(got.fwd[4 * 3 + 2])) << tag;  // the NaN row
                    ++ran;
                }
            }
        }
    }
    EXPECT_GE(ran, 12);  // the scalar variant at least
}

}  // namespace
}  // namespace reftest
