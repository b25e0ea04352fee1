/*
 * test_ce_determinism.cpp: results are bit-identical for 1..N kernel threads
 * and across repeated runs (docs/design.md §3.7: results do not
 * depend on the thread count), for every ISA variant, f32 and bf16, forward,
 * forwardBackward and backward. N goes past the core count on purpose: more
 * threads than cores must still give the same bits.
 */
#include <gtest/gtest.h>

#include "test_support.h"

namespace reftest {
namespace {

struct Outputs {
    std::vector<float> loss, logp, ent, row_lse, row_logp, row_ent, grad_fb, grad_b;
    std::vector<uint16_t> grad_fb16, grad_b16;
    std::vector<int64_t> count;
    double total = 0;
};

Outputs run_all(const Problem& p, const Layout& layout) {
    Outputs out;
    Buffers b(p, layout);
    Stats st(p.samples(), p.rows);
    EXPECT_EQ(reweigh_ce_forward(&b.batch, &p.options, &st.view), REWEIGH_STATUS_OK) << reweigh_last_error();
    Grad g(layout.logits_dtype, p.rows, p.vocab, 0);
    Stats st2(p.samples(), p.rows);
    EXPECT_EQ(reweigh_ce_forward_backward(&b.batch, &p.options, b.coefficients.data(), &st2.view, &g.view, &out.total),
              REWEIGH_STATUS_OK)
        << reweigh_last_error();
    Grad gb(layout.logits_dtype, p.rows, p.vocab, 0);
    EXPECT_EQ(reweigh_ce_backward(&b.batch, &p.options, st.row_lse.data(), b.coefficients.data(), &gb.view),
              REWEIGH_STATUS_OK)
        << reweigh_last_error();
    // forward and forwardBackward must also agree with each other on the statistics.
    EXPECT_TRUE(bit_equal("forward vs forwardBackward loss", st.loss, st2.loss));
    EXPECT_TRUE(bit_equal("forward vs forwardBackward rowLse", st.row_lse, st2.row_lse));
    out.loss = st.loss;
    out.logp = st.log_prob_sum;
    out.ent = st.mean_entropy;
    out.row_lse = st.row_lse;
    out.row_logp = st.row_logp;
    out.row_ent = st.row_entropy;
    out.count = st.token_count;
    out.grad_fb = g.f32;
    out.grad_b = gb.f32;
    out.grad_fb16 = g.b16;
    out.grad_b16 = gb.b16;
    return out;
}

void expect_identical(const std::string& tag, const Outputs& a, const Outputs& b) {
    EXPECT_TRUE(bit_equal(tag + " loss", a.loss, b.loss));
    EXPECT_TRUE(bit_equal(tag + " logProbSum", a.logp, b.logp));
    EXPECT_TRUE(bit_equal(tag + " meanEntropy", a.ent, b.ent));
    EXPECT_TRUE(bit_equal(tag + " rowLse", a.row_lse, b.row_lse));
    EXPECT_TRUE(bit_equal(tag + " rowLogp", a.row_logp, b.row_logp));
    EXPECT_TRUE(bit_equal(tag + " rowEntropy", a.row_ent, b.row_ent));
    EXPECT_TRUE(bit_equal(tag + " tokenCount", a.count, b.count));
    EXPECT_TRUE(bit_equal(tag + " grad(fwd-bwd)", a.grad_fb, b.grad_fb));
    EXPECT_TRUE(bit_equal(tag + " grad(bwd)", a.grad_b, b.grad_b));
    EXPECT_TRUE(bit_equal(tag + " grad(fwd-bwd) bf16", a.grad_fb16, b.grad_fb16));
    EXPECT_TRUE(bit_equal(tag + " grad(bwd) bf16", a.grad_b16, b.grad_b16));
    EXPECT_EQ(0, memcmp(&a.total, &b.total, sizeof(double))) << tag << " total " << a.total << " vs " << b.total;
}

TEST(CeDeterminism, ThreadCountsAndRepeatedRunsGiveIdenticalBits) {
    IsaGuard guard;
    const std::vector<NamedOptions> sets = option_sets();
    struct Shape {
        int64_t rows, vocab;
        bool bf16;
    };
    // Batches under 2^18 logits run inline on the caller (thread_pool), so all but the first
    // shape are above it: many short rows, a few long rows, an odd V, each splitting differently.
    const std::vector<Shape> shapes = {{289, 17, false}, {300, 1000, true}, {40, 8191, false}, {7, 40000, true}};
    int checked = 0;
    for (const std::string& isa : all_isas()) {
        if (!select_isa(isa)) continue;
        for (size_t si = 0; si < shapes.size(); ++si) {
            const Shape& sh = shapes[si];
            // softcap+scale, everything on, a class id as ignore index + check_finite, SUM+smoothing.
            const size_t set_of_shape[] = {3, 4, 5, 1};
            const NamedOptions& set = sets[set_of_shape[si]];
            GenSpec gen;
            gen.rows = sh.rows;
            gen.vocab = sh.vocab;
            gen.bf16_values = sh.bf16;
            gen.signed_coefficients = set.options.normalization != REWEIGH_NORMALIZATION_WEIGHT_SUM;
            const Problem p = make_problem(gen, set.options, 4242 + si);
            Layout layout;
            layout.logits_dtype = sh.bf16 ? REWEIGH_DTYPE_BF16 : REWEIGH_DTYPE_F32;
            ASSERT_EQ(reweigh_set_num_threads(1), REWEIGH_STATUS_OK);
            const Outputs serial = run_all(p, layout);
            for (int32_t threads : {1, 2, 3, 4, 7}) {
                ASSERT_EQ(reweigh_set_num_threads(threads), REWEIGH_STATUS_OK);
                ASSERT_EQ(reweigh_num_threads(), threads);
                for (int run = 0; run < 2; ++run) {
                    const std::string tag = isa + " rows=" + std::to_string(sh.rows) + " V=" +
                                            std::to_string(sh.vocab) + " " + set.name + " threads=" +
                                            std::to_string(threads) + " run=" + std::to_string(run);
                    expect_identical(tag, serial, run_all(p, layout));
                    ++checked;
                }
            }
        }
    }
    EXPECT_GT(checked, 0);
}

/* The same bits whichever thread count a check_finite scan runs with, and the same first bad element. */
TEST(CeDeterminism, CheckFiniteReportsTheSameElementForEveryThreadCount) {
    IsaGuard guard;
    const GenSpec gen = gen_spec(300, 257, 0);
    reweigh_ce_options_t o = reweigh_ce_options_default();
    o.check_finite = 1;
    Problem p = make_problem(gen, o, 99);
    // Bad values in several rows: the first (row 41, column 200) must be the one reported.
    p.logits[41 * 257 + 200] = NAN;
    p.logits[41 * 257 + 250] = INFINITY;
    p.logits[180 * 257 + 3] = NAN;
    p.logits[299 * 257 + 0] = INFINITY;
    Buffers b(p, Layout{});
    for (int32_t threads : {1, 2, 3, 4, 8}) {
        ASSERT_EQ(reweigh_set_num_threads(threads), REWEIGH_STATUS_OK);
        for (int run = 0; run < 3; ++run) {
            Stats st(p.samples(), p.rows);
            ASSERT_EQ(reweigh_ce_forward(&b.batch, &o, &st.view), REWEIGH_STATUS_NON_FINITE_INPUT);
            EXPECT_NE(std::string(reweigh_last_error()).find("logits[row 41, column 200] = NaN"), std::string::npos)
                << "threads=" << threads << ": " << reweigh_last_error();
        }
    }
}

}  // namespace
}  // namespace reftest
