/*
 * test_ce_reference.cpp: every CPU kernel variant against the float64
 * reference of reference.h, over forward, forwardBackward (separate and in
 * place) and backward, and the reference's own gradient against central
 * finite differences.
 *
 * Grid (docs/style.md §5):
 *   vocab V in {1, 7, 15, 16, 17, 31, 33, 1000, 32000, 128256}: the lane-width
 *     tails around 8 (AVX2) and 16 (AVX-512) and their doubled unrolls, 1000
 *     (not a multiple of any width), 32000 (a Llama-2-sized row), 128256 (a
 *     Llama-3-sized row: fp32 rows past l2_budget.h's keeps_exponentials
 *     bound, whose fused gradient recomputes p on AVX-512);
 *   rows in {0, 1, 3, 289}: empty batch, one row, fewer rows than threads,
 *     and a prime count that splits unevenly across threads and chunks;
 *   every option set of option_sets() (smoothing, z-loss, softcap, scale,
 *     MEAN/SUM, each normalisation, a class id as ignore index, check_finite);
 *   layouts rotate through F32/BF16 logits, I32/I64 targets and offsets,
 *     padded and unpadded row strides for logits and grad.
 * Coefficients are random and, for non-WEIGHT_SUM normalisations, of both
 * signs (never all ones).
 */
#include <gtest/gtest.h>

#include <float.h>
#include <math.h>

#include <algorithm>
#include <iostream>

#include "reference.h"
#include "test_support.h"

namespace reftest {
namespace {

/* Rows that count nowhere get an exact zero gradient; padding is never written. */
void check_untouched_padding_and_ignored(const std::string& tag, const Problem& p, const Reference& ref,
                                         const Grad& g) {
    for (int64_t r = 0; r < p.rows; ++r) {
        for (int64_t v = 0; v < p.vocab; ++v) {
            if (!ref.rows[r].counted) {
                ASSERT_EQ(g.at(r, v), 0.0f) << tag << " ignored row " << r << " col " << v;
            }
        }
        if (r + 1 < p.rows) {
            for (int64_t v = p.vocab; v < g.stride; ++v) {
                ASSERT_EQ(g.at(r, v), Grad::kSentinel) << tag << " grad padding row " << r << " col " << v;
            }
        }
    }
}

void check_logits_padding(const std::string& tag, const Problem& p, const Buffers& b) {
    for (int64_t r = 0; r + 1 < p.rows; ++r)
        for (int64_t v = p.vocab; v < b.stride; ++v)
            ASSERT_EQ(read_elem(b, r, v), 12345.0f) << tag << " logits padding row " << r << " col " << v;
}

void check_isa(const std::string& tag, const Problem& p, const Reference& ref, const Layout& layout, Worst& worst) {
    const Tolerances t = tolerances(p, ref);
    const bool bf16 = layout.logits_dtype == REWEIGH_DTYPE_BF16;

    // forward
    Buffers b(p, layout);
    const reweigh_ce_options_t& o = p.options;
    Stats st(p.samples(), p.rows);
    ASSERT_EQ(reweigh_ce_forward(&b.batch, &o, &st.view), REWEIGH_STATUS_OK) << tag << " " << reweigh_last_error();
    compare_stats(tag + " forward", p, ref, t, st, true, worst);

    // forwardBackward, separate grad
    Grad g(layout.logits_dtype, p.rows, p.vocab, layout.grad_stride_pad);
    Stats st2(p.samples(), p.rows);
    double total = -1;
    const reweigh_status_t fb = reweigh_ce_forward_backward(&b.batch, &o, b.coefficients.data(), &st2.view, &g.view,
                                                            &total);
    if (!ref.normalizer_valid) {
        ASSERT_EQ(fb, REWEIGH_STATUS_INVALID_ARGUMENT) << tag;
        EXPECT_NE(std::string(reweigh_last_error()).find("must be finite"), std::string::npos) << tag;
        EXPECT_TRUE(bit_equal(tag + " grad untouched", g.f32, std::vector<float>(g.f32.size(), Grad::kSentinel)));
        return;
    }
    ASSERT_EQ(fb, REWEIGH_STATUS_OK) << tag << " " << reweigh_last_error();
    const std::vector<double> gtol = grad_tolerance(p, ref, t, bf16);
    compare_stats(tag + " forwardBackward", p, ref, t, st2, true, worst);
    double total_tol = 4 * kU * fabs(ref.total);
    for (int64_t s = 0; s < p.samples(); ++s) total_tol += fabs(p.coefficients[s]) * stored(t.loss[s], ref.loss[s]);
    total_tol /= ref.d == 0 ? 1.0 : fabs(ref.d);
    EXPECT_NEAR(total, ref.total, total_tol) << tag << " total";
    const std::vector<double> grad_fb = read_grad(g);
    EXPECT_TRUE(all_close(tag + " grad(fwd-bwd)", grad_fb, ref.grad, gtol, &worst));
    check_untouched_padding_and_ignored(tag + " fwd-bwd", p, ref, g);

    // forwardBackward in place over a fresh copy of the logits
    Buffers in(p, layout);
    reweigh_ce_grad_t gin{in.logits_mut(), in.stride};
    Stats st3(p.samples(), p.rows);
    double total_in = -1;
    ASSERT_EQ(reweigh_ce_forward_backward(&in.batch, &o, in.coefficients.data(), &st3.view, &gin, &total_in),
              REWEIGH_STATUS_OK)
        << tag << " " << reweigh_last_error();
    // In place must equal the separate-buffer result bit for bit: same kernel, same inputs.
    EXPECT_EQ(total_in, total) << tag << " in-place total";
    EXPECT_TRUE(bit_equal(tag + " in-place vs separate grad", read_in_place(in, p.rows, p.vocab), grad_fb));
    EXPECT_TRUE(bit_equal(tag + " in-place vs separate loss", st3.loss, st2.loss));
    check_logits_padding(tag + " in-place", p, in);

    // backward from the forward's lse, separate and in place
    Grad gb(layout.logits_dtype, p.rows, p.vocab, layout.grad_stride_pad);
    ASSERT_EQ(reweigh_ce_backward(&b.batch, &o, st.row_lse.data(), b.coefficients.data(), &gb.view),
              REWEIGH_STATUS_OK)
        << tag << " " << reweigh_last_error();
    const std::vector<double> grad_b = read_grad(gb);
    EXPECT_TRUE(all_close(tag + " grad(bwd)", grad_b, ref.grad, gtol, &worst));
    check_untouched_padding_and_ignored(tag + " bwd", p, ref, gb);
    Buffers in2(p, layout);
    reweigh_ce_grad_t gin2{in2.logits_mut(), in2.stride};
    ASSERT_EQ(reweigh_ce_backward(&in2.batch, &o, st.row_lse.data(), in2.coefficients.data(), &gin2),
              REWEIGH_STATUS_OK)
        << tag << " " << reweigh_last_error();
    EXPECT_TRUE(bit_equal(tag + " in-place vs separate backward", read_in_place(in2, p.rows, p.vocab), grad_b));

    // forward with only the per-sample outputs (row buffers internal)
    Stats st4(p.samples(), p.rows);
    reweigh_ce_stats_t only_samples = st4.view;
    only_samples.row_lse = only_samples.row_logp = only_samples.row_entropy = nullptr;
    ASSERT_EQ(reweigh_ce_forward(&b.batch, &o, &only_samples), REWEIGH_STATUS_OK) << tag;
    EXPECT_TRUE(bit_equal(tag + " per-sample loss without row outputs", st4.loss, st.loss));
}

class CeReference : public ::testing::TestWithParam<int64_t> {};

TEST_P(CeReference, AllIsasAllOptionsAllRows) {
    IsaGuard guard;
    const int64_t vocab = GetParam();
    const std::vector<int64_t> row_counts = {0, 1, 3, 289};
    const std::vector<NamedOptions> sets = option_sets();
    // Worst error / tolerance per ISA, fp32 and bf16 apart (bf16 rounding dominates its ratio).
    std::vector<Worst> worst(2 * all_isas().size());
    int ran = 0, index = 0;
    for (int64_t rows : row_counts) {
        for (size_t oi = 0; oi < sets.size(); ++oi, ++index) {
            // 289 x 32000 logits take seconds per option set under the sanitizers (CI budget:
            // sanitize.sh under 3 minutes on 2 cores): the full row count runs with the
            // all-options set only; every other set still runs V = 32000 with 0, 1 and 3 rows.
            if (vocab >= 32000 && rows == 289 && oi != 4) continue;
            if (vocab > 32000 && rows == 289) continue;  // 1 and 3 rows reach the long-row paths
            Layout layout;
            layout.logits_dtype = index % 3 == 2 ? REWEIGH_DTYPE_BF16 : REWEIGH_DTYPE_F32;
            // Long rows: each option set in fp32 at one row count and in bf16 at the other.
            if (vocab > 32000) layout.logits_dtype = (rows == 3) != (oi % 2 == 0) ? REWEIGH_DTYPE_BF16 : REWEIGH_DTYPE_F32;
            layout.targets_dtype = index % 2 == 0 ? REWEIGH_DTYPE_I64 : REWEIGH_DTYPE_I32;
            layout.offsets_dtype = index % 4 < 2 ? REWEIGH_DTYPE_I32 : REWEIGH_DTYPE_I64;
            layout.stride_pad = index % 5 == 1 ? 5 : 0;
            layout.grad_stride_pad = index % 3 == 1 ? 3 : 0;
            GenSpec gen;
            gen.rows = rows;
            gen.vocab = vocab;
            gen.bf16_values = layout.logits_dtype == REWEIGH_DTYPE_BF16;
            gen.signed_coefficients = sets[oi].options.normalization != REWEIGH_NORMALIZATION_WEIGHT_SUM;
            const Problem p = make_problem(gen, sets[oi].options, 1000003ULL * static_cast<uint64_t>(vocab) + index);
            const Reference ref = reference(p, true);
            for (size_t i = 0; i < all_isas().size(); ++i) {
                if (!select_isa(all_isas()[i])) continue;
                const std::string tag = all_isas()[i] + " V=" + std::to_string(vocab) + " rows=" +
                                        std::to_string(rows) + " " + sets[oi].name + (gen.bf16_values ? " bf16" : "");
                check_isa(tag, p, ref, layout, worst[2 * i + (gen.bf16_values ? 1 : 0)]);
                ++ran;
                if (HasFatalFailure()) return;
            }
        }
    }
    EXPECT_GT(ran, 0);
    for (size_t i = 0; i < worst.size(); ++i) {
        if (worst[i].ratio > 0)
            std::cout << "[ worst err/tol ] " << all_isas()[i / 2] << (i % 2 ? " bf16" : " f32") << " V=" << vocab
                      << ": " << worst[i].ratio << " at " << worst[i].where << "\n";
    }
}

INSTANTIATE_TEST_SUITE_P(Vocab, CeReference, ::testing::Values(1, 7, 15, 16, 17, 31, 33, 1000, 32000, 128256),
                         [](const ::testing::TestParamInfo<int64_t>& info) {
                             return "V" + std::to_string(info.param);
                         });

/* The ISA list must include what auto-selection picks (a sanity check of the harness). */
TEST(CeReferenceHarness, AutoIsaIsOneOfTheTestedVariants) {
    const std::string isa = reweigh_cpu_isa();
    EXPECT_NE(std::find(all_isas().begin(), all_isas().end(), isa), all_isas().end()) << isa;
    EXPECT_EQ(reweigh_set_cpu_isa("scalar"), REWEIGH_STATUS_OK);  // scalar always runs
    EXPECT_STREQ(reweigh_cpu_isa(), "scalar");
    EXPECT_EQ(reweigh_set_cpu_isa("auto"), REWEIGH_STATUS_OK);
    EXPECT_EQ(std::string(reweigh_cpu_isa()), isa);
}

/*
 * Finite differences in float64: d total / d z_(r,v) of the reference against
 * its analytic gradient (validates the hand-derived formula of reference.h,
 * independently of the kernels), then the kernels' gradient against the same
 * differences.
 */
TEST(CeFiniteDifference, ReferenceGradientMatchesCentralDifferences) {
    IsaGuard guard;
    const std::vector<NamedOptions> sets = option_sets();
    int index = 0;
    for (int64_t vocab : {1, 2, 5, 7}) {
        for (const NamedOptions& set : sets) {
            GenSpec gen;
            gen.rows = 5;
            gen.vocab = vocab;
            gen.logit_sigma = 2.0;
            gen.signed_coefficients = set.options.normalization != REWEIGH_NORMALIZATION_WEIGHT_SUM;
            const Problem p = make_problem(gen, set.options, 77 + index++);
            const Reference ref = reference(p, true);
            if (ref.counted_rows == 0) continue;
            std::vector<double> z = p.logits, fd(z.size());
            for (size_t i = 0; i < z.size(); ++i) {
                // h balances the O(h^2) truncation against float64 cancellation (~1e-16 / h).
                const double h = 1e-5 * std::max(1.0, fabs(p.logits[i]));
                z[i] = p.logits[i] + h;
                const double up = reference(p, false, &z).total;
                z[i] = p.logits[i] - h;
                const double down = reference(p, false, &z).total;
                z[i] = p.logits[i];
                fd[i] = (up - down) / (2 * h);
            }
            std::vector<double> tight(fd.size());
            // Truncation (h^2 |f'''| ~ 1e-10) plus cancellation (1e-16 |total| / h ~ 1e-11): 1e-8 is 100x above both.
            for (size_t i = 0; i < fd.size(); ++i) tight[i] = 1e-8 + 1e-7 * fabs(fd[i]);
            const std::string tag = "V=" + std::to_string(vocab) + " " + set.name;
            EXPECT_TRUE(all_close(tag + " reference vs finite differences", ref.grad, fd, tight));

            // The kernels against the finite differences, under the reference test's tolerance.
            Buffers b(p, Layout{});
            Tolerances t = tolerances(p, ref);
            const std::vector<double> gtol = grad_tolerance(p, ref, t, false);
            for (const std::string& isa : all_isas()) {
                if (!select_isa(isa)) continue;
                Grad g(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0);
                double total = 0;
                ASSERT_EQ(reweigh_ce_forward_backward(&b.batch, &p.options, b.coefficients.data(), nullptr, &g.view,
                                                      &total),
                          REWEIGH_STATUS_OK)
                    << reweigh_last_error();
                std::vector<double> tol(gtol);
                for (size_t i = 0; i < tol.size(); ++i) tol[i] += tight[i];
                EXPECT_TRUE(all_close(isa + " " + tag + " kernel vs finite differences", read_grad(g), fd, tol));
            }
        }
    }
}

/*
 * backward from an lse below the row's logits (a caller's stale or wrong lse): the kernels
 * take exp_nonpos for z - lse <= 0, the only case a forward's lse makes, and must still give
 * a exp(z - lse) - [v = y] wherever z - lse > 0, +-inf where it overflows fp32. Rows: the
 * true lse, max z - 2, max z - 95 (the largest logits overflow, the rest stay finite) and
 * min z - 90 (every element overflows). Token sum, no normalization: a is the row's own
 * coefficient. Expected values in float64 from the same fp32 z and lse.
 */
TEST(CeReference, EveryIsaBackwardFromAnLseBelowTheLogitsFollowsTheReference) {
    IsaGuard guard;
    int ran = 0;
    for (int64_t vocab : {40, 1003, 20011}) {
        for (int32_t dtype : {REWEIGH_DTYPE_F32, REWEIGH_DTYPE_BF16}) {
            GenSpec gen;
            gen.rows = 4;
            gen.vocab = vocab;
            gen.ignore_fraction = 0.0;
            gen.bf16_values = true;
            reweigh_ce_options_t options = reweigh_ce_options_default();
            options.token_reduction = REWEIGH_TOKEN_REDUCTION_SUM;
            options.normalization = REWEIGH_NORMALIZATION_NONE;
            Problem p = make_problem(gen, options, 31 + static_cast<uint64_t>(vocab));
            p.offsets.clear();
            p.coefficients.clear();
            for (int64_t r = 0; r <= p.rows; ++r) p.offsets.push_back(r);
            for (int64_t r = 0; r < p.rows; ++r) p.coefficients.push_back(r % 2 == 0 ? 1.25 : -1.5);  // |a| >= 1: a exp(d) overflows wherever exp(d) does
            std::vector<float> lse(static_cast<size_t>(p.rows));
            for (int64_t r = 0; r < p.rows; ++r) {
                const double* z = &p.logits[static_cast<size_t>(r * vocab)];
                const double hi = *std::max_element(z, z + vocab), lo = *std::min_element(z, z + vocab);
                double sum = 0;
                for (int64_t v = 0; v < vocab; ++v) sum += exp(z[v] - hi);
                const double row_lse[] = {hi + log(sum), hi - 2, hi - 95, lo - 90};
                lse[static_cast<size_t>(r)] = static_cast<float>(row_lse[r]);
            }
            Layout layout;
            layout.logits_dtype = dtype;
            Buffers b(p, layout);
            const bool bf16 = dtype == REWEIGH_DTYPE_BF16;
            // fp32: z - lse rounds by <= 4e-6 absolute at |z - lse| < 128, the exp by a few ulp; bf16: half a bf16 ulp more.
            const double rel = bf16 ? 0x1p-8 : 1e-5;
            for (const std::string& isa : all_isas()) {
                if (!select_isa(isa)) continue;
                const std::string tag = isa + (bf16 ? " bf16" : " f32") + " V=" + std::to_string(vocab);
                Grad g(dtype, p.rows, vocab, 0);
                ASSERT_EQ(reweigh_ce_backward(&b.batch, &p.options, lse.data(), b.coefficients.data(), &g.view),
                          REWEIGH_STATUS_OK)
                    << tag << " " << reweigh_last_error();
                int64_t bad = 0, infinite = 0;
                for (int64_t r = 0; r < p.rows; ++r) {
                    for (int64_t v = 0; v < vocab; ++v) {
                        const double d = p.logits[static_cast<size_t>(r * vocab + v)] - lse[static_cast<size_t>(r)];
                        const double want = p.coefficients[static_cast<size_t>(r)] *
                                            (exp(d) - (v == p.targets[static_cast<size_t>(r)] ? 1.0 : 0.0));
                        const float got = g.at(r, v);
                        const bool ok = fabs(want) > FLT_MAX ? got == static_cast<float>(want > 0 ? INFINITY : -INFINITY)
                                                             : fabs(got - want) <= rel * fabs(want) + 1e-30;
                        infinite += isinf(got) ? 1 : 0;
                        if (!ok && bad++ < 3) {
                            ADD_FAILURE() << tag << " row " << r << " col " << v << ": z - lse = " << d << ", got "
                                          << got << ", float64 " << want;
                        }
                    }
                }
                EXPECT_EQ(bad, 0) << tag;
                EXPECT_GE(infinite, vocab) << tag;  // row 3 overflows everywhere
                ++ran;
            }
        }
    }
    EXPECT_GT(ran, 0);
}

}  // namespace
}  // namespace reftest
