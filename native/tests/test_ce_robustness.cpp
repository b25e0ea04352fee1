/*
 * test_ce_robustness.cpp: numerically hostile inputs, on every ISA variant.
 *   - huge magnitudes (+-1e30, +-1e4, and logits spanning more than FLT_MAX);
 *   - -inf entries (a masked vocabulary) with eps = 0: finite results, zero grad there;
 *   - subnormal logits;
 *   - a very long row (V = 1M);
 *   - samples of one token; all rows ignored (every normalisation);
 *   - NaN / +inf: reported by check_finite with row and column, and without
 *     it confined to the row that holds it (never leaking into other rows).
 */
#include <gtest/gtest.h>

#include <limits>

#include "test_support.h"

namespace reftest {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

/* One row per problem, one sample per row, coefficient 1, NONE normalisation: grad = dLoss_row/dz. */
Problem rows_problem(const std::vector<std::vector<double>>& rows, const std::vector<int64_t>& targets,
                     reweigh_ce_options_t o) {
    Problem p;
    p.rows = static_cast<int64_t>(rows.size());
    p.vocab = static_cast<int64_t>(rows[0].size());
    for (const auto& r : rows) p.logits.insert(p.logits.end(), r.begin(), r.end());
    p.targets = targets;
    p.offsets.push_back(0);
    for (int64_t r = 0; r < p.rows; ++r) {
        p.offsets.push_back(r + 1);
        p.coefficients.push_back(1.0);
    }
    o.normalization = REWEIGH_NORMALIZATION_NONE;
    p.options = o;
    return p;
}

/*
 * +-1e30 and logits spanning beyond FLT_MAX (+-3e38: their difference
 * overflows to -inf inside the online softmax). A unique maximum makes every
 * answer exact: lse = max, entropy = 0, p = one-hot.
 */
TEST(CeRobustness, HugeMagnitudesGiveExactOneHotResults) {
    IsaGuard guard;
    for (double big : {1e30, 3e38}) {
        const std::vector<std::vector<double>> rows = {
            {big, -big, 0, 1, -big, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},   // target holds the max
            {-big, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, big},      // max after the target, last column
            {-big, -big, -big, -big, -big, -big, -big, -big, -big, -big, -big, -big, -big, -big, -big, -big, big},
            {big, -big, -big, -big, -big, -big, -big, -big, -big, -big, -big, -big, -big, -big, -big, -big, -big},
        };
        const std::vector<int64_t> targets = {0, 3, 16, 5};
        const Problem p = rows_problem(rows, targets, reweigh_ce_options_default());
        for (const std::string& isa : all_isas()) {
            if (!select_isa(isa)) continue;
            const std::string tag = isa + " big=" + std::to_string(big);
            const FwdBwd run(p);
            ASSERT_EQ(run.status, REWEIGH_STATUS_OK) << reweigh_last_error();
            for (int64_t r = 0; r < p.rows; ++r) {
                const float m = static_cast<float>(big);
                const float zy = static_cast<float>(p.logits[r * p.vocab + targets[r]]);
                EXPECT_EQ(run.st.row_lse[r], m) << tag << " row " << r;
                EXPECT_EQ(run.st.row_logp[r], zy - m) << tag << " row " << r;
                EXPECT_EQ(run.st.row_entropy[r], 0.0f) << tag << " row " << r;
                for (int64_t v = 0; v < p.vocab; ++v) {
                    // One-hot p: dL/dz = p - onehot(y) is +1 at the max, -1 at the target, 0 elsewhere.
                    const bool is_max = p.logits[r * p.vocab + v] == big;
                    const float want = (is_max ? 1.0f : 0.0f) - (v == targets[r] ? 1.0f : 0.0f);
                    ASSERT_EQ(run.g.at(r, v), want) << tag << " row " << r << " col " << v;
                }
            }
            // At 3e38, logp = -big - big overflows fp32 to -inf (float64 says -6e38): total is +inf there.
            if (big < 1e38) {
                EXPECT_TRUE(std::isfinite(run.total)) << tag;
            }
        }
    }
}

/* Random +-1e4 logits (bf16 and f32) and rows with ties at the maximum: the standard tolerance, scaled by |z|. */
TEST(CeRobustness, LargeLogitsMatchTheReference) {
    IsaGuard guard;
    const std::vector<NamedOptions> sets = option_sets();
    for (size_t oi : {size_t{0}, size_t{1}, size_t{4}}) {
        GenSpec gen;
        gen.rows = 40;
        gen.vocab = 257;
        gen.logit_sigma = 1e4;
        gen.signed_coefficients = sets[oi].options.normalization != REWEIGH_NORMALIZATION_WEIGHT_SUM;
        Problem p = make_problem(gen, sets[oi].options, 555 + oi);
        // Ties: rows 0..4 carry their maximum twice.
        for (int64_t r = 0; r < 5; ++r) {
            double* row = &p.logits[r * p.vocab];
            const auto mx = std::max_element(row, row + p.vocab) - row;
            row[(mx + 7) % p.vocab] = row[mx];
        }
        for (const std::string& isa : all_isas()) {
            if (!select_isa(isa)) continue;
            check_fwd_bwd(isa + " 1e4 " + sets[oi].name, p, Layout{});
        }
    }
}

/* Masked vocabulary: -inf entries with eps = 0 give finite statistics and exactly zero gradient there. */
TEST(CeRobustness, MinusInfinityEntriesAreMasked) {
    IsaGuard guard;
    const std::vector<NamedOptions> sets = option_sets();
    for (size_t oi : {size_t{0}, size_t{2}, size_t{3}, size_t{5}}) {  // all with eps = 0
        for (int64_t vocab : {1, 16, 33, 1000}) {
            GenSpec gen = gen_spec(37, vocab, 0.1);
            gen.signed_coefficients = sets[oi].options.normalization != REWEIGH_NORMALIZATION_WEIGHT_SUM;
            Problem p = make_problem(gen, sets[oi].options, 31337 + vocab);
            std::mt19937_64 rng(vocab);
            for (int64_t r = 0; r < p.rows; ++r) {
                const int64_t y = p.targets[r];
                const bool counted = y != p.options.ignore_index;
                for (int64_t v = 0; v < vocab; ++v) {
                    // Row 0: everything but the target masked; others: about half masked.
                    const bool mask = r == 0 ? true : (rng() % 2 == 0);
                    if (mask && !(counted && v == y)) p.logits[r * vocab + v] = -INFINITY;
                }
            }
            for (const std::string& isa : all_isas()) {
                if (!select_isa(isa)) continue;
                const std::string tag = isa + " V=" + std::to_string(vocab) + " " + sets[oi].name;
                check_fwd_bwd(tag, p, Layout{});
                const FwdBwd run(p);
                ASSERT_EQ(run.status, REWEIGH_STATUS_OK) << reweigh_last_error();
                EXPECT_TRUE(std::isfinite(run.total)) << tag;
                for (int64_t r = 0; r < p.rows; ++r) {
                    EXPECT_TRUE(std::isfinite(run.st.row_lse[r]) && std::isfinite(run.st.row_entropy[r]))
                        << tag << " " << r;
                    for (int64_t v = 0; v < vocab; ++v) {
                        // Softcap maps -inf to -c, which is finite and keeps a (tiny) probability.
                        if (p.logits[r * vocab + v] == -INFINITY && p.options.softcap == 0.0f) {
                            ASSERT_EQ(run.g.at(r, v), 0.0f) << tag << " row " << r << " col " << v;
                        }
                    }
                }
            }
        }
    }
}

/* Subnormal logits (and subnormal gradients out): same answers as float64. */
TEST(CeRobustness, SubnormalLogits) {
    IsaGuard guard;
    GenSpec gen;
    gen.rows = 29;
    gen.vocab = 67;
    gen.logit_sigma = 1e-39;  // all subnormal (FLT_MIN is 1.18e-38)
    Problem p = make_problem(gen, reweigh_ce_options_default(), 7);
    for (int64_t i = 0; i < 67; ++i) p.logits[i] = (i % 2 ? 1 : -1) * 1.4e-45 * static_cast<double>(i);  // tiniest
    for (int64_t i = 67; i < 134; ++i) p.logits[i] = i % 3 ? 1e-40 : 50.0;  // subnormals beside normal values
    for (double& z : p.logits) z = static_cast<double>(static_cast<float>(z));
    for (const std::string& isa : all_isas()) {
        if (!select_isa(isa)) continue;
        check_fwd_bwd(isa + " subnormal", p, Layout{});
        check_fwd_bwd(isa + " subnormal bf16", p, Layout{REWEIGH_DTYPE_BF16});
    }
}

/* V = 1M (beyond every vocabulary in use): lse and grads still within the sqrt(V)-scaled tolerance. */
TEST(CeRobustness, MillionWideRows) {
    IsaGuard guard;
    const std::vector<NamedOptions> sets = option_sets();
    const GenSpec gen = gen_spec(3, 1 << 20, 0);
    Problem p = make_problem(gen, sets[4].options, 1);  // every option on
    p.targets = {0, (1 << 20) - 1, 123457};
    p.offsets = {0, 1, 3};
    p.coefficients = {0.5, -1.25};
    Worst worst;
    for (const std::string& isa : all_isas()) {
        if (!select_isa(isa)) continue;
        check_fwd_bwd(isa + " V=1M", p, Layout{}, &worst);
    }
    std::cout << "[ worst err/tol ] V=1M: " << worst.ratio << " at " << worst.where << "\n";
}

/* Samples of one token: MEAN and SUM agree, and each sample is its row. */
TEST(CeRobustness, OneTokenSamples) {
    IsaGuard guard;
    const GenSpec gen = gen_spec(50, 33, 0.2);
    reweigh_ce_options_t mean = reweigh_ce_options_default();
    Problem p = make_problem(gen, mean, 11);
    p.offsets.clear();
    p.coefficients.clear();
    for (int64_t r = 0; r <= p.rows; ++r) p.offsets.push_back(r);
    for (int64_t r = 0; r < p.rows; ++r) p.coefficients.push_back(0.5 + 0.01 * static_cast<double>(r));
    Problem sum = p;
    sum.options.token_reduction = REWEIGH_TOKEN_REDUCTION_SUM;
    for (const std::string& isa : all_isas()) {
        if (!select_isa(isa)) continue;
        check_fwd_bwd(isa + " one-token MEAN", p, Layout{});
        check_fwd_bwd(isa + " one-token SUM", sum, Layout{});
        Buffers b(p, Layout{});
        Stats a(p.samples(), p.rows), c(p.samples(), p.rows);
        ASSERT_EQ(reweigh_ce_forward(&b.batch, &p.options, &a.view), REWEIGH_STATUS_OK);
        ASSERT_EQ(reweigh_ce_forward(&b.batch, &sum.options, &c.view), REWEIGH_STATUS_OK);
        EXPECT_TRUE(bit_equal(isa + " MEAN vs SUM for one-token samples", a.loss, c.loss));
    }
}

/*
 * Every row ignored. forward: zeros everywhere. forwardBackward / backward:
 * under every normalisation a zero gradient and total 0 (under WEIGHT_SUM,
 * TOKENS and SAMPLES through the D = 0 contract, common/sample_math.h).
 */
TEST(CeRobustness, AllRowsIgnored) {
    IsaGuard guard;
    for (int32_t norm = REWEIGH_NORMALIZATION_WEIGHT_SUM; norm <= REWEIGH_NORMALIZATION_EXPLICIT; ++norm) {
        reweigh_ce_options_t o = reweigh_ce_options_default();
        o.normalization = norm;
        o.normalizer = 3.0;
        const GenSpec gen = gen_spec(45, 100, 1.0);
        const Problem p = make_problem(gen, o, 5);
        for (const std::string& isa : all_isas()) {
            if (!select_isa(isa)) continue;
            const std::string tag = isa + " normalization " + std::to_string(norm);
            Buffers b(p, Layout{});
            Grad g(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0);
            Stats st(p.samples(), p.rows);
            double total = -1;
            ASSERT_EQ(reweigh_ce_forward(&b.batch, &o, &st.view), REWEIGH_STATUS_OK) << tag;
            EXPECT_TRUE(bit_equal(tag + " forward loss", st.loss, std::vector<float>(st.loss.size(), 0.0f)));
            std::vector<float> lse(static_cast<size_t>(p.rows), std::numeric_limits<float>::quiet_NaN());
            // D = 0 under WEIGHT_SUM, TOKENS and SAMPLES: total 0 and a zero gradient, like D = 1 or 3.
            ASSERT_EQ(reweigh_ce_forward_backward(&b.batch, &o, b.coefficients.data(), &st.view, &g.view, &total),
                      REWEIGH_STATUS_OK)
                << tag << " " << reweigh_last_error();
            EXPECT_EQ(total, 0.0) << tag;
            EXPECT_TRUE(bit_equal(tag + " grad", g.f32, std::vector<float>(g.f32.size(), 0.0f)));
            EXPECT_TRUE(bit_equal(tag + " loss", st.loss, std::vector<float>(st.loss.size(), 0.0f)));
            EXPECT_TRUE(bit_equal(tag + " rowLse", st.row_lse, std::vector<float>(st.row_lse.size(), 0.0f)));
            EXPECT_TRUE(bit_equal(tag + " tokenCount", st.token_count, std::vector<int64_t>(st.token_count.size(), 0)));
            // backward never reads an ignored row's lse, so garbage there is fine
            Grad gb(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0);
            ASSERT_EQ(reweigh_ce_backward(&b.batch, &o, lse.data(), b.coefficients.data(), &gb.view),
                      REWEIGH_STATUS_OK)
                << tag << " " << reweigh_last_error();
            EXPECT_TRUE(bit_equal(tag + " grad(bwd)", gb.f32, std::vector<float>(gb.f32.size(), 0.0f)));
        }
    }
}

/* NaN with check_finite: NON_FINITE_INPUT naming row and column, on every ISA, dtype and a 1M-wide row. */
TEST(CeRobustness, NanIsReportedWithCheckFinite) {
    IsaGuard guard;
    reweigh_ce_options_t o = reweigh_ce_options_default();
    o.check_finite = 1;
    const GenSpec gen = gen_spec(4, 1 << 20, 0);
    Problem p = make_problem(gen, o, 3);
    p.logits[2 * p.vocab + p.vocab - 1] = NAN;  // the very last column of row 2
    for (const std::string& isa : all_isas()) {
        if (!select_isa(isa)) continue;
        for (int32_t dtype : {REWEIGH_DTYPE_F32, REWEIGH_DTYPE_BF16}) {
            Buffers b(p, Layout{dtype});
            Stats st(p.samples(), p.rows);
            EXPECT_EQ(reweigh_ce_forward(&b.batch, &o, &st.view), REWEIGH_STATUS_NON_FINITE_INPUT) << isa;
            EXPECT_NE(std::string(reweigh_last_error()).find("logits[row 2, column 1048575] = NaN"), std::string::npos)
                << isa << ": " << reweigh_last_error();
            EXPECT_TRUE(bit_equal(isa + " stats untouched", st.loss, std::vector<float>(st.loss.size(), -7.0f)));
        }
    }
}

/* Without check_finite a NaN or +inf stays in its own row: every other row matches a clean run bit for bit. */
TEST(CeRobustness, NonFiniteWithoutCheckStaysInItsRow) {
    IsaGuard guard;
    const GenSpec gen = gen_spec(64, 100, 0);
    reweigh_ce_options_t o = reweigh_ce_options_default();
    o.normalization = REWEIGH_NORMALIZATION_NONE;
    const Problem clean = make_problem(gen, o, 8);
    Problem dirty = clean;
    dirty.logits[10 * 100 + 50] = NAN;
    dirty.logits[20 * 100 + 99] = kInf;
    for (const std::string& isa : all_isas()) {
        if (!select_isa(isa)) continue;
        Buffers bc(clean, Layout{}), bd(dirty, Layout{});
        Grad gc(REWEIGH_DTYPE_F32, clean.rows, 100, 0), gd(REWEIGH_DTYPE_F32, clean.rows, 100, 0);
        Stats sc(clean.samples(), clean.rows), sd(clean.samples(), clean.rows);
        double tc = 0, td = 0;
        ASSERT_EQ(reweigh_ce_forward_backward(&bc.batch, &o, bc.coefficients.data(), &sc.view, &gc.view, &tc),
                  REWEIGH_STATUS_OK);
        ASSERT_EQ(reweigh_ce_forward_backward(&bd.batch, &o, bd.coefficients.data(), &sd.view, &gd.view, &td),
                  REWEIGH_STATUS_OK);
        int nonfinite_rows = 0;
        for (int64_t r = 0; r < clean.rows; ++r) {
            const bool bad_row = r == 10 || r == 20;
            if (bad_row) {
                nonfinite_rows += !std::isfinite(sd.row_lse[r]) || !std::isfinite(sd.row_entropy[r]);
                continue;
            }
            ASSERT_EQ(sd.row_lse[r], sc.row_lse[r]) << isa << " row " << r;
            ASSERT_EQ(sd.row_entropy[r], sc.row_entropy[r]) << isa << " row " << r;
            for (int64_t v = 0; v < 100; ++v) ASSERT_EQ(gd.at(r, v), gc.at(r, v)) << isa << " row " << r;
        }
        EXPECT_EQ(nonfinite_rows, 2) << isa << ": a NaN or +inf logit must show in its row's statistics";
    }
}

}  // namespace
}  // namespace reftest
