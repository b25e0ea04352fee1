/*
 * test_ce_row_carry.cpp: a row's statistics do not depend on the rows around it.
 *
 * The SIMD kernels run the next row's first pass (max, and sum for label
 * smoothing) inside the current row's exp pass and hand it over (RowCarry,
 * [Note: reading the next row under the exp] in src/cpu/ce_simd.h). So in a
 * batch every row but a chunk's first takes its max and sum from that carry
 * (these batches are small enough to run as one chunk on the caller),
 * while a batch of one row computes its own. Both must give the same bits:
 * each row of a batch is run again as a one-row batch and its lse, log-prob
 * and entropy (forward and forwardBackward) compared bit for bit, on every
 * ISA, fp32 and bf16, vocabularies with and without vector and scalar tails,
 * with label smoothing and a logit scale (the carried sum and the scaled
 * source), a softcap (no carry), and rows that hold a NaN, -inf logits or
 * nothing but -inf (the exp pass is skipped and no carry is made).
 *
 * forwardBackward also carries a row's gradient into the next row's exp pass
 * (PendingGrad, [Note: the gradient under the next row's exp]): every row's
 * gradient in a batch, written there, must equal the same row's gradient as a
 * batch alone (written at the end of the run) bit for bit, into a separate
 * buffer (rows on and off 64-byte lines, streamed at 16411 logits) and in
 * place, for the same rows and options.
 */
#include <gtest/gtest.h>

#include <math.h>

#include "test_support.h"

namespace reftest {
namespace {

struct RowStats {
    std::vector<float> lse, logp, ent, loss;
};

/*
 * Forward and forwardBackward per-row statistics of p on the active ISA; with one row
 * per sample, SUM and no normalization, a sample's loss is its row's (label smoothing
 * included, which reads the carried sum).
 */
void run(const Problem& p, const Layout& layout, RowStats* fwd, RowStats* fb) {
    Buffers b(p, layout);
    Stats st(p.samples(), p.rows);
    ASSERT_EQ(reweigh_ce_forward(&b.batch, &p.options, &st.view), REWEIGH_STATUS_OK) << reweigh_last_error();
    *fwd = RowStats{st.row_lse, st.row_logp, st.row_entropy, st.loss};
    FwdBwd f(p, layout);
    ASSERT_EQ(f.status, REWEIGH_STATUS_OK) << reweigh_last_error();
    *fb = RowStats{f.st.row_lse, f.st.row_logp, f.st.row_entropy, f.st.loss};
}

/* Row r of p as a batch of its own (one sample, coefficient 1). */
Problem row_alone(const Problem& p, int64_t r) {
    Problem q;
    q.rows = 1;
    q.vocab = p.vocab;
    q.options = p.options;
    q.logits.assign(p.logits.begin() + r * p.vocab, p.logits.begin() + (r + 1) * p.vocab);
    q.targets = {p.targets[static_cast<size_t>(r)]};
    q.offsets = {0, 1};
    q.coefficients = {1.0};
    return q;
}

::testing::AssertionResult same_row(const std::string& what, const RowStats& batch, int64_t r, const RowStats& alone) {
    const size_t i = static_cast<size_t>(r);
    const std::vector<float> got = {batch.lse[i], batch.logp[i], batch.ent[i], batch.loss[i]};
    const std::vector<float> want = {alone.lse[0], alone.logp[0], alone.ent[0], alone.loss[0]};
    return bit_equal(what + " row " + std::to_string(r) + " (lse, logp, entropy, loss)", got, want);
}

/* The 9-row batch of these tests: a row of -inf, a NaN, -inf logits and an ignored row. */
Problem carry_problem(const reweigh_ce_options_t& options, int64_t vocab, uint64_t seed) {
    GenSpec gen;
    gen.rows = 9;
    gen.vocab = vocab;
    gen.ignore_fraction = 0.0;
    gen.bf16_values = true;  // the same logits in fp32 and bf16
    Problem p = make_problem(gen, options, seed);
    p.offsets.clear();
    for (int64_t r = 0; r <= p.rows; ++r) p.offsets.push_back(r);
    p.coefficients.assign(static_cast<size_t>(p.rows), 1.0);
    p.targets[6] = options.ignore_index;  // an ignored row still gets read as the next row
    for (int64_t v = 0; v < vocab; ++v) p.logits[static_cast<size_t>(3 * vocab + v)] = -INFINITY;
    p.logits[static_cast<size_t>(4 * vocab + vocab / 2)] = NAN;
    p.logits[static_cast<size_t>(5 * vocab + vocab - 1)] = -INFINITY;
    p.logits[static_cast<size_t>(5 * vocab)] = -INFINITY;
    return p;
}

/* forwardBackward's gradient of p, rows [0, rows) x [0, vocab): into a separate buffer (row stride vocab + pad), or in place. */
std::vector<double> fb_grad(const Problem& p, int32_t dtype, int64_t pad, bool in_place) {
    Layout layout;
    layout.logits_dtype = dtype;
    Buffers b(p, layout);
    Grad g(dtype, p.rows, p.vocab, pad);
    reweigh_ce_grad_t view = in_place ? reweigh_ce_grad_t{b.logits_mut(), b.stride} : g.view;
    Stats st(p.samples(), p.rows);
    double total = 0;
    EXPECT_EQ(reweigh_ce_forward_backward(&b.batch, &p.options, b.coefficients.data(), &st.view, &view, &total),
              REWEIGH_STATUS_OK)
        << reweigh_last_error();
    return in_place ? read_in_place(b, p.rows, p.vocab) : read_grad(g);
}

/*
 * Option sets of these tests: one row per sample, SUM, no normalization (a sample's loss is its
 * row's); label smoothing (the carried sum; b != 0 in g = a e - b); and a logit scale as well.
 */
std::vector<NamedOptions> carry_option_sets() {
    reweigh_ce_options_t base = reweigh_ce_options_default();
    base.token_reduction = REWEIGH_TOKEN_REDUCTION_SUM;
    base.normalization = REWEIGH_NORMALIZATION_NONE;
    std::vector<NamedOptions> sets;
    sets.push_back({"SUM,NONE", base});
    reweigh_ce_options_t o = base;
    o.label_smoothing = 0.1f;
    sets.push_back({"eps=0.1", o});
    o.logit_scale = 1.3f;
    sets.push_back({"eps=0.1,scale=1.3", o});
    return sets;
}

TEST(RowCarry, EveryIsaRowGradientEqualsTheRowAlone) {
    IsaGuard guard;
    std::vector<NamedOptions> sets = carry_option_sets();
    sets.erase(sets.begin() + 1);  // label smoothing alone: the scaled set covers b != 0
    int ran = 0;
    uint64_t seed = 4242;
    // 40: pairs and a single vector; 1003: a scalar tail; 16411: streamed rows in both dtypes.
    for (int64_t vocab : {40, 1003, 16411}) {
        for (const NamedOptions& set : sets) {
            const Problem p = carry_problem(set.options, vocab, ++seed);
            for (const std::string& isa : all_isas()) {
                if (!select_isa(isa)) continue;
                for (int32_t dtype : {REWEIGH_DTYPE_F32, REWEIGH_DTYPE_BF16}) {
                    for (int64_t pad : {0, 1}) {
                        const std::string tag = isa + (dtype == REWEIGH_DTYPE_F32 ? " f32" : " bf16") +
                                                " V=" + std::to_string(vocab) + " " + set.name +
                                                " pad=" + std::to_string(pad);
                        const std::vector<double> batch = fb_grad(p, dtype, pad, false);
                        const std::vector<double> in_place = fb_grad(p, dtype, pad, true);
                        EXPECT_TRUE(bit_equal(tag + " in place vs separate grad", in_place, batch));
                        for (int64_t r = 0; r < p.rows; ++r) {
                            if (p.targets[static_cast<size_t>(r)] == set.options.ignore_index) continue;
                            const auto row = batch.begin() + r * vocab;
                            EXPECT_TRUE(bit_equal(tag + " grad row " + std::to_string(r) + " in the batch vs alone",
                                                  std::vector<double>(row, row + vocab),
                                                  fb_grad(row_alone(p, r), dtype, pad, false)));
                        }
                        ++ran;
                    }
                }
            }
        }
    }
    EXPECT_GE(ran, 24);  // the scalar variant at least
}

TEST(RowCarry, EveryIsaRowStatisticsEqualTheRowAlone) {
    IsaGuard guard;
    std::vector<NamedOptions> sets = carry_option_sets();
    reweigh_ce_options_t o = sets[0].options;
    o.softcap = 8.0f;
    sets.push_back({"softcap=8", o});
    int ran = 0;
    uint64_t seed = 777;
    // 5 and 20: below one pair of AVX-512 vectors; 40 and 1003: pairs, a single vector and a scalar tail.
    for (int64_t vocab : {5, 20, 40, 1000, 1003}) {
        for (const NamedOptions& set : sets) {
            const Problem p = carry_problem(set.options, vocab, ++seed);
            for (const std::string& isa : all_isas()) {
                if (!select_isa(isa)) continue;
                for (int32_t dtype : {REWEIGH_DTYPE_F32, REWEIGH_DTYPE_BF16}) {
                    Layout layout;
                    layout.logits_dtype = dtype;
                    const std::string tag = isa + (dtype == REWEIGH_DTYPE_F32 ? " f32" : " bf16") +
                                            " V=" + std::to_string(vocab) + " " + set.name;
                    RowStats fwd, fb;
                    run(p, layout, &fwd, &fb);
                    for (int64_t r = 0; r < p.rows; ++r) {
                        if (p.targets[static_cast<size_t>(r)] == set.options.ignore_index) continue;
                        RowStats fwd1, fb1;
                        run(row_alone(p, r), layout, &fwd1, &fb1);
                        EXPECT_TRUE(same_row(tag + " forward", fwd, r, fwd1));
                        EXPECT_TRUE(same_row(tag + " forwardBackward", fb, r, fb1));
                    }
                    ++ran;
                }
            }
        }
    }
    EXPECT_GE(ran, 40);  // the scalar variant at least
}

}  // namespace
}  // namespace reftest
