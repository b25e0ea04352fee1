/*
 * test_bf16_rounding.cpp: bf16 output is the fp32 result rounded to nearest, ties to
 * even (torch's c10::BFloat16, vcvtneps2bf16), bit for bit, on every path that narrows:
 *
 *  - the conversion itself, on constructed ties, near-ties and NaN, against
 *    reference.h's float_to_bf16_bits (written independently of src/common/bf16.h);
 *  - every CPU variant's bf16 gradient store: bf16 logits widen exactly to fp32, so a
 *    bf16 call computes the same fp32 gradient as an fp32 call on the widened logits,
 *    and each stored bf16 element must be that value rounded. Vocabularies leave scalar
 *    tails so the vector stores and the scalar stores are both checked; the backward's
 *    run over rows long enough to stream (non-temporal lane pairs, ce_simd.h) and over
 *    NaN and -inf logits (a quiet NaN must stay that NaN, rounded as float_to_bf16).
 *
 * The reference tolerance of a bf16 gradient (one bf16 ulp) cannot see a rounding mode
 * that is wrong by one ulp on ties or truncates; these exact checks can.
 */
#include <gtest/gtest.h>

#include <math.h>
#include <string.h>

#include "../src/common/bf16.h"
#include "reference.h"
#include "test_support.h"

namespace reftest {
namespace {

float from_bits(uint32_t b) {
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

TEST(Bf16Rounding, ConversionRoundsToNearestEven) {
    // Upper halves with an even and an odd last bit, lower halves below, at and above the tie.
    for (uint32_t upper : {0x3f80u, 0x3f81u, 0xbf80u, 0xbf81u, 0x0001u, 0x7f7fu, 0x4049u, 0x0080u}) {
        for (uint32_t lower : {0x0000u, 0x0001u, 0x7fffu, 0x8000u, 0x8001u, 0xffffu}) {
            const uint32_t bits = (upper << 16) | lower;
            const float f = from_bits(bits);
            EXPECT_EQ(reweigh::float_to_bf16(f), float_to_bf16_bits(f)) << std::hex << "bits 0x" << bits;
        }
    }
    // Ties by hand: 1 + 2^-8 lies halfway between bf16 1 (even) and 1 + 2^-7: rounds down.
    EXPECT_EQ(reweigh::float_to_bf16(from_bits(0x3f808000u)), 0x3f80u);
    // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6: rounds up to even.
    EXPECT_EQ(reweigh::float_to_bf16(from_bits(0x3f818000u)), 0x3f82u);
    // A NaN stays a NaN (quiet), infinities stay infinite.
    EXPECT_EQ(reweigh::float_to_bf16(from_bits(0x7f800001u)) & 0x7fc0u, 0x7fc0u);
    EXPECT_EQ(reweigh::float_to_bf16(from_bits(0x7f800000u)), 0x7f80u);
    EXPECT_EQ(reweigh::float_to_bf16(from_bits(0xff800000u)), 0xff80u);
    // The largest finite float rounds up to infinity, as in IEEE round-to-nearest.
    EXPECT_EQ(reweigh::float_to_bf16(from_bits(0x7f7fffffu)), 0x7f80u);
    // Widening is exact.
    EXPECT_EQ(reweigh::bf16_to_float(0x3f82u), from_bits(0x3f820000u));
}

TEST(Bf16Rounding, EveryIsaStoresTheRoundedFp32Gradient) {
    IsaGuard guard;
    int ran = 0, compared = 0;
    uint64_t seed = 4242;
    std::vector<NamedOptions> sets;
    sets.push_back({"default", reweigh_ce_options_default()});
    reweigh_ce_options_t o = reweigh_ce_options_default();
    o.label_smoothing = 0.1f;
    o.logit_scale = 1.3f;
    o.softcap = 8.0f;
    sets.push_back({"eps,scale,softcap", o});
    for (int64_t vocab : {17, 40, 1000}) {
        for (const NamedOptions& set : sets) {
            GenSpec gen;
            gen.rows = 24;
            gen.vocab = vocab;
            gen.bf16_values = true;  // logits exactly representable in bf16
            const Problem p = make_problem(gen, set.options, ++seed);
            for (const std::string& isa : all_isas()) {
                if (!select_isa(isa)) continue;
                const std::string tag = isa + " V=" + std::to_string(vocab) + " " + set.name;
                Layout l32;
                Layout l16;
                l16.logits_dtype = REWEIGH_DTYPE_BF16;
                Buffers b32(p, l32);
                Buffers b16(p, l16);
                Grad g32(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0);
                Grad g16(REWEIGH_DTYPE_BF16, p.rows, p.vocab, 0);
                double t32 = 0, t16 = 0;
                ASSERT_EQ(reweigh_ce_forward_backward(&b32.batch, &p.options, b32.coefficients.data(), nullptr,
                                                      &g32.view, &t32),
                          REWEIGH_STATUS_OK)
                    << tag << " " << reweigh_last_error();
                ASSERT_EQ(reweigh_ce_forward_backward(&b16.batch, &p.options, b16.coefficients.data(), nullptr,
                                                      &g16.view, &t16),
                          REWEIGH_STATUS_OK)
                    << tag << " " << reweigh_last_error();
                int bad = 0;
                for (size_t i = 0; i < g32.f32.size(); ++i) {
                    const uint16_t want = float_to_bf16_bits(g32.f32[i]);
                    if (g16.b16[i] != want) {
                        if (bad++ < 5) {
                            ADD_FAILURE() << tag << " element " << i << ": fp32 " << g32.f32[i] << " stored as bf16 0x"
                                          << std::hex << g16.b16[i] << ", round-to-nearest-even gives 0x" << want
                                          << std::dec;
                        }
                    }
                    ++compared;
                }
                EXPECT_EQ(bad, 0) << tag;
                ++ran;
            }
        }
    }
    EXPECT_GT(ran, 0);
    EXPECT_GT(compared, 0);
}

/* NaN elements and exact ties (low 16 bits 0x8000) among the fp32 gradient's elements. */
struct Seen {
    int64_t nans = 0, ties = 0;
};

/*
 * Runs `run` (a gradient call: buffers, gradient) on the fp32 and the bf16 logits and checks
 * that every bf16 gradient element is the fp32 one rounded to nearest even.
 */
template <class Run>
Seen expect_rounded(const Problem& p, const Buffers& b32, const Buffers& b16, const std::string& tag, Run&& run) {
    Seen seen;
    Grad g32(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0);
    Grad g16(REWEIGH_DTYPE_BF16, p.rows, p.vocab, 0);
    EXPECT_EQ(run(b32, g32), REWEIGH_STATUS_OK) << tag << " " << reweigh_last_error();
    EXPECT_EQ(run(b16, g16), REWEIGH_STATUS_OK) << tag << " " << reweigh_last_error();
    int bad = 0;
    for (size_t i = 0; i < g32.f32.size(); ++i) {
        uint32_t bits;
        memcpy(&bits, &g32.f32[i], sizeof bits);
        seen.nans += g32.f32[i] != g32.f32[i];
        seen.ties += (bits & 0xffffu) == 0x8000u;
        const uint16_t want = float_to_bf16_bits(g32.f32[i]);
        if (g16.b16[i] != want && bad++ < 5) {
            ADD_FAILURE() << tag << " element " << i << ": fp32 " << g32.f32[i] << " stored as bf16 0x" << std::hex
                          << g16.b16[i] << ", round-to-nearest-even gives 0x" << want << std::dec;
        }
    }
    EXPECT_EQ(bad, 0) << tag;
    return seen;
}

/* expect_rounded over the backward with the same lse for both dtypes. */
Seen expect_backward_rounded(const Problem& p, const Buffers& b32, const Buffers& b16, const float* lse,
                             const std::string& tag) {
    return expect_rounded(p, b32, b16, tag, [&](const Buffers& b, Grad& g) {
        return reweigh_ce_backward(&b.batch, &p.options, lse, b.coefficients.data(), &g.view);
    });
}

TEST(Bf16Rounding, EveryIsaBackwardStoresTheRoundedFp32Gradient) {
    IsaGuard guard;
    int ran = 0;
    int64_t nan_seen = 0;
    uint64_t seed = 777;
    for (int64_t vocab : {33, 1000, 20000}) {
        GenSpec gen;
        gen.rows = vocab > 1000 ? 3 : 24;
        gen.vocab = vocab;
        gen.bf16_values = true;
        Problem p = make_problem(gen, reweigh_ce_options_default(), ++seed);
        p.logits[1 * p.vocab + 7] = -INFINITY;
        for (const std::string& isa : all_isas()) {
            if (!select_isa(isa)) continue;
            const std::string tag = isa + " backward V=" + std::to_string(vocab);
            Layout l16;
            l16.logits_dtype = REWEIGH_DTYPE_BF16;
            Buffers b32(p, Layout{});
            Buffers b16(p, l16);
            Stats st(p.samples(), p.rows);
            ASSERT_EQ(reweigh_ce_forward(&b32.batch, &p.options, &st.view), REWEIGH_STATUS_OK) << tag;
            // A NaN logit after the forward (finite lse; non-finite logits pass without check_finite).
            b32.f32[static_cast<size_t>(b32.stride + 5)] = NAN;
            b16.b16[static_cast<size_t>(b16.stride + 5)] = float_to_bf16_bits(NAN);
            nan_seen += expect_backward_rounded(p, b32, b16, st.row_lse.data(), tag).nans;
            ++ran;
        }
    }
    EXPECT_GT(ran, 0);
    EXPECT_GT(nan_seen, 0);  // the NaN row really produced NaN gradients
}

constexpr int64_t kTieRows = 6;

/*
 * Rows of kTieRows logits all 0 (token sum, no normalization) whose coefficients k have low
 * 16 bits 0x8000: 1 + 2^-8 and -(1 + 2^-8) (upper word even: stays), 1 + 3 * 2^-8 (odd:
 * rounds up), so a gradient element k x with x a power of two is a tie. For each vocabulary,
 * expect_rounded over run(problem, buffers, gradient) on every ISA; at least one tie seen.
 */
template <class Run>
void expect_ties_rounded(std::initializer_list<int64_t> vocabs, uint64_t seed, const std::string& op, Run&& run) {
    int ran = 0;
    int64_t ties = 0;
    const float tie_coefficients[] = {1.0f + 0x1p-8f, -(1.0f + 0x1p-8f), 1.0f + 3 * 0x1p-8f};
    for (int64_t vocab : vocabs) {
        GenSpec gen;
        gen.rows = kTieRows;
        gen.vocab = vocab;
        gen.bf16_values = true;
        reweigh_ce_options_t options = reweigh_ce_options_default();
        options.token_reduction = REWEIGH_TOKEN_REDUCTION_SUM;
        options.normalization = REWEIGH_NORMALIZATION_NONE;
        Problem p = make_problem(gen, options, seed + static_cast<uint64_t>(vocab));
        for (double& z : p.logits) z = 0.0;
        for (size_t s = 0; s < p.coefficients.size(); ++s) p.coefficients[s] = tie_coefficients[s % 3];
        Layout l16;
        l16.logits_dtype = REWEIGH_DTYPE_BF16;
        const Buffers b32(p, Layout{}), b16(p, l16);
        for (const std::string& isa : all_isas()) {
            if (!select_isa(isa)) continue;
            const std::string tag = isa + " " + op + " ties V=" + std::to_string(vocab);
            ties += expect_rounded(p, b32, b16, tag, [&](const Buffers& b, Grad& g) { return run(p, b, g); }).ties;
            ++ran;
        }
    }
    EXPECT_GT(ran, 0);
    EXPECT_GT(ties, 0);  // the coefficients really made ties
}

/*
 * Ties in the backward: lse 0 makes every non-target element exactly a = k exp(0) = k
 * (expect_ties_rounded). Each stored element must be the fp32 backward's value rounded to
 * nearest even; rows long enough to stream and short ones with tails.
 */
TEST(Bf16Rounding, EveryIsaBackwardRoundsTiesToEven) {
    IsaGuard guard;
    const std::vector<float> lse(static_cast<size_t>(kTieRows), 0.0f);
    expect_ties_rounded({40, 1003, 20011}, 4242, "backward", [&](const Problem& p, const Buffers& b, Grad& g) {
        return reweigh_ce_backward(&b.batch, &p.options, lse.data(), b.coefficients.data(), &g.view);
    });
}

/*
 * Ties in the fused kernel, whose bf16 gradient keeps memory order (pass 3, and the pending
 * gradient written under the next row's exp): logits 0 give e = 1 and d = V, and with V a
 * power of two p = 1 / V exactly, so every non-target element is k / V, a tie
 * (expect_ties_rounded). Rows long enough to stream and to leave their gradient pending; each
 * stored element must be the fp32 forwardBackward's value rounded to nearest even.
 */
TEST(Bf16Rounding, EveryIsaFusedGradientRoundsTiesToEven) {
    IsaGuard guard;
    expect_ties_rounded({64, 1024, 16384}, 2424, "forwardBackward", [](const Problem& p, const Buffers& b, Grad& g) {
        double total = 0;
        return reweigh_ce_forward_backward(&b.batch, &p.options, b.coefficients.data(), nullptr, &g.view, &total);
    });
}

/*
 * The fused bf16 kernel streams a separate gradient from its first 64-byte line on
 * (ordinary stores before it and for the last pair) and rounds without the NaN fix-up
 * when the row cannot make a NaN (ce_simd.h, [Note: bf16 gradients without NaN]).
 * Every start of g within a 64-byte line (each 2-byte step) must give the in-place
 * result, which does not stream, bit for bit, on a vocabulary with a vector and a
 * scalar tail after the pairs, in rows long enough to stream.
 */
TEST(Bf16Rounding, EveryIsaFusedGradientIsTheSameAtEveryGradAddress) {
    IsaGuard guard;
    int ran = 0;
    GenSpec gen;
    gen.rows = 3;
    gen.vocab = 20000 + 16 + 3;  // a W = 16 vector and a scalar tail after the pairs
    gen.bf16_values = true;
    reweigh_ce_options_t o = reweigh_ce_options_default();
    o.label_smoothing = 0.1f;  // b != 0: the subtracting lanes
    for (const reweigh_ce_options_t& opts : {reweigh_ce_options_default(), o}) {
        const Problem p = make_problem(gen, opts, 99);
        for (const std::string& isa : all_isas()) {
            if (!select_isa(isa)) continue;
            Layout l16;
            l16.logits_dtype = REWEIGH_DTYPE_BF16;
            Buffers in(p, l16);
            reweigh_ce_grad_t gin{in.logits_mut(), in.stride};
            ASSERT_EQ(reweigh_ce_forward_backward(&in.batch, &p.options, in.coefficients.data(), nullptr, &gin, nullptr),
                      REWEIGH_STATUS_OK)
                << isa << " " << reweigh_last_error();
            const std::vector<double> want = read_in_place(in, p.rows, p.vocab);
            Buffers b16(p, l16);
            const size_t n = static_cast<size_t>(p.rows * b16.stride);
            std::vector<uint16_t> raw(n + 64);
            const uintptr_t base = reinterpret_cast<uintptr_t>(raw.data());
            for (int shift = 0; shift < 32; ++shift) {
                // g at byte offset 2 * shift past a 64-byte line.
                uint16_t* g = raw.data() + ((64 - base % 64) % 64) / 2 + shift;
                reweigh_ce_grad_t gv{g, b16.stride};
                ASSERT_EQ(reweigh_ce_forward_backward(&b16.batch, &p.options, b16.coefficients.data(), nullptr, &gv,
                                                      nullptr),
                          REWEIGH_STATUS_OK)
                    << isa << " " << reweigh_last_error();
                int bad = 0;
                for (int64_t r = 0; r < p.rows; ++r) {
                    for (int64_t v = 0; v < p.vocab; ++v) {
                        const double got = bf16_bits_to_float(g[r * b16.stride + v]);
                        const double ref = want[static_cast<size_t>(r * p.vocab + v)];
                        if (!(got == ref) && bad++ < 3) {
                            ADD_FAILURE() << isa << " eps=" << opts.label_smoothing << " g 64-byte line + "
                                          << 2 * shift << " bytes, row " << r << " element " << v << ": " << got
                                          << ", in place " << ref;
                        }
                    }
                }
                EXPECT_EQ(bad, 0) << isa << " shift " << shift;
            }
            ++ran;
        }
    }
    EXPECT_GT(ran, 0);
}

}  // namespace
}  // namespace reftest
