/*
 * test_ce_sharded.cpp: vocabulary-sharded partials through the C ABI.
 *
 * K shards (1, 2, 3, 7; uneven widths; each shard in its own exact-size buffer,
 * so AddressSanitizer reports any read or write past a shard) reproduce
 * reweigh_ce_forward_backward on the whole rows: statistics, total and every
 * gradient element, for every option set, fp32 and bf16, combined both ways
 * (pairwise merge, and MAX + rebase + SUM as a collective does). Bad
 * arguments are INVALID_ARGUMENT naming the argument, with nothing written.
 */
#include <gtest/gtest.h>

#include <limits>

#include "test_support.h"

namespace reftest {
namespace {

/* Five [rows] arrays and their ABI view. */
struct Partials {
    std::vector<float> max, sum_exp, entropy_sum, logit_sum, target_logit;
    reweigh_ce_partials_t view{};

    explicit Partials(int64_t rows)
        : max(rows, -7.0f), sum_exp(rows, -7.0f), entropy_sum(rows, -7.0f), logit_sum(rows, -7.0f),
          target_logit(rows, -7.0f) {
        view = {max.data(), sum_exp.data(), entropy_sum.data(), logit_sum.data(), target_logit.data()};
    }
};

/* Shard [lo, hi) of every row as its own problem (targets stay global). */
Problem column_slice(const Problem& p, int64_t lo, int64_t hi) {
    Problem s = p;
    s.vocab = hi - lo;
    s.logits.clear();
    for (int64_t r = 0; r < p.rows; ++r) {
        for (int64_t v = lo; v < hi; ++v) s.logits.push_back(p.logits[r * p.vocab + v]);
    }
    return s;
}

std::vector<int64_t> uneven_bounds(int k, int64_t vocab, std::mt19937_64& rng) {
    std::vector<int64_t> b = {0, vocab};
    while (static_cast<int>(b.size()) < k + 1) {
        const int64_t cut = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(vocab - 1));
        if (std::find(b.begin(), b.end(), cut) == b.end()) b.push_back(cut);
    }
    std::sort(b.begin(), b.end());
    return b;
}

bool close(double expected, double actual, double atol, double rtol) {
    return std::fabs(expected - actual) <= atol + rtol * std::fabs(expected);
}

class Sharded : public ::testing::TestWithParam<int> {};

TEST_P(Sharded, ReproducesTheWholeRow) {
    const int k = GetParam();
    const int64_t rows = 19, vocab = 257;
    uint64_t seed = 1000 + static_cast<uint64_t>(k);
    for (const NamedOptions& named : option_sets()) {
        for (int32_t dtype : {REWEIGH_DTYPE_F32, REWEIGH_DTYPE_BF16}) {
            const reweigh_ce_options_t& o = named.options;
            GenSpec g;
            g.rows = rows;
            g.vocab = vocab;
            g.bf16_values = dtype == REWEIGH_DTYPE_BF16;
            g.signed_coefficients = o.normalization == REWEIGH_NORMALIZATION_NONE ||
                                    o.normalization == REWEIGH_NORMALIZATION_EXPLICIT;
            const Problem p = make_problem(g, o, seed++);
            std::mt19937_64 rng(seed);
            const std::vector<int64_t> bounds = uneven_bounds(k, vocab, rng);
            SCOPED_TRACE(std::string(named.name) + (dtype == REWEIGH_DTYPE_F32 ? " f32" : " bf16") + " K=" +
                         std::to_string(k));
            Layout layout;
            layout.logits_dtype = dtype;

            Buffers whole(p, layout);
            Grad gw(dtype, rows, vocab, 0);
            Stats sw(p.samples(), rows);
            double tw = 0;
            const reweigh_status_t st_whole =
                reweigh_ce_forward_backward(&whole.batch, &o, whole.coefficients.data(), &sw.view, &gw.view, &tw);
            if (st_whole != REWEIGH_STATUS_OK) continue;  // D = 0 for this draw: nothing to compare

            std::vector<Buffers> shards;
            std::vector<Partials> parts;
            for (int s = 0; s < k; ++s) {
                shards.emplace_back(column_slice(p, bounds[s], bounds[s + 1]), layout);
                parts.emplace_back(rows);
            }
            for (int s = 0; s < k; ++s) {
                ASSERT_EQ(REWEIGH_STATUS_OK,
                          reweigh_ce_partial_forward(&shards[s].batch, bounds[s], vocab, &o, &parts[s].view))
                    << reweigh_last_error();
            }
            // Route 1: pairwise merge.
            Partials merged = parts[0];
            merged.view = {merged.max.data(), merged.sum_exp.data(), merged.entropy_sum.data(),
                           merged.logit_sum.data(), merged.target_logit.data()};
            for (int s = 1; s < k; ++s) {
                ASSERT_EQ(REWEIGH_STATUS_OK, reweigh_ce_partials_merge(rows, &parts[s].view, &merged.view))
                    << reweigh_last_error();
            }
            // Route 2: MAX all-reduce, rebase, SUM all-reduce (a collective's view).
            std::vector<float> global(rows, -std::numeric_limits<float>::infinity());
            for (int s = 0; s < k; ++s)
                for (int64_t r = 0; r < rows; ++r) global[r] = std::max(global[r], parts[s].max[r]);
            Partials summed(rows);
            std::fill(summed.sum_exp.begin(), summed.sum_exp.end(), 0.0f);
            std::fill(summed.entropy_sum.begin(), summed.entropy_sum.end(), 0.0f);
            std::fill(summed.logit_sum.begin(), summed.logit_sum.end(), 0.0f);
            std::fill(summed.target_logit.begin(), summed.target_logit.end(), 0.0f);
            summed.max = global;
            for (int s = 0; s < k; ++s) {
                ASSERT_EQ(REWEIGH_STATUS_OK, reweigh_ce_partials_rebase(rows, global.data(), &parts[s].view))
                    << reweigh_last_error();
                for (int64_t r = 0; r < rows; ++r) {
                    summed.sum_exp[r] += parts[s].sum_exp[r];
                    summed.entropy_sum[r] += parts[s].entropy_sum[r];
                    summed.logit_sum[r] += parts[s].logit_sum[r];
                    summed.target_logit[r] += parts[s].target_logit[r];
                }
            }

            for (Partials* c : {&merged, &summed}) {
                Stats ss(p.samples(), rows);
                double ts = 0;
                ASSERT_EQ(REWEIGH_STATUS_OK, reweigh_ce_sharded_stats(&shards[0].batch, vocab, &o, &c->view,
                                                                      whole.coefficients.data(), &ss.view, &ts))
                    << reweigh_last_error();
                EXPECT_TRUE(close(tw, ts, 2e-5, 2e-5)) << "total " << tw << " vs " << ts;
                for (int64_t s = 0; s < p.samples(); ++s) {
                    EXPECT_EQ(sw.token_count[s], ss.token_count[s]) << "sample " << s;
                    EXPECT_TRUE(close(sw.loss[s], ss.loss[s], 2e-5, 2e-5))
                        << "loss[" << s << "] " << sw.loss[s] << " vs " << ss.loss[s];
                    EXPECT_TRUE(close(sw.log_prob_sum[s], ss.log_prob_sum[s], 1e-4, 2e-5)) << "logProbSum " << s;
                    EXPECT_TRUE(close(sw.mean_entropy[s], ss.mean_entropy[s], 2e-5, 2e-5)) << "meanEntropy " << s;
                }
                for (int64_t r = 0; r < rows; ++r) {
                    EXPECT_TRUE(close(sw.row_lse[r], ss.row_lse[r], 2e-5, 2e-5)) << "rowLse " << r;
                }
                // Each shard's slice of the gradient, into an exact-size buffer of its own.
                const double grtol = dtype == REWEIGH_DTYPE_F32 ? 2e-5 : 1.0 / 128;
                for (int s = 0; s < k; ++s) {
                    const int64_t width = bounds[s + 1] - bounds[s];
                    Grad gs(dtype, rows, width, 0);
                    ASSERT_EQ(REWEIGH_STATUS_OK,
                              reweigh_ce_sharded_backward(&shards[s].batch, bounds[s], vocab, &o, &c->view,
                                                          whole.coefficients.data(), &gs.view))
                        << reweigh_last_error();
                    for (int64_t r = 0; r < rows; ++r) {
                        for (int64_t v = 0; v < width; ++v) {
                            const float e = gw.at(r, bounds[s] + v);
                            const float a = gs.at(r, v);
                            ASSERT_TRUE(close(e, a, 1e-7, grtol))
                                << "grad[" << r << ", " << bounds[s] + v << "] " << e << " vs " << a;
                        }
                    }
                }
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Shards, Sharded, ::testing::Values(1, 2, 3, 7));

TEST(ShardedBadInput, NamesTheArgumentAndWritesNothing) {
    const reweigh_ce_options_t o = reweigh_ce_options_default();
    GenSpec g;
    g.rows = 4;
    g.vocab = 6;
    const Problem p = make_problem(g, o, 5);
    Buffers shard(column_slice(p, 2, 6), Layout{});
    Partials part(4);
    auto expect_invalid = [](reweigh_status_t st, const char* needle) {
        EXPECT_EQ(REWEIGH_STATUS_INVALID_ARGUMENT, st) << needle;
        EXPECT_NE(std::string::npos, std::string(reweigh_last_error()).find(needle)) << reweigh_last_error();
    };
    expect_invalid(reweigh_ce_partial_forward(&shard.batch, 3, 6, &o, &part.view), "vocabOffset = 3");
    reweigh_ce_partials_t alias = part.view;
    alias.logit_sum = part.max.data() + 1;  // overlaps max
    expect_invalid(reweigh_ce_partial_forward(&shard.batch, 2, 6, &o, &alias), "overlaps");
    alias = part.view;
    alias.sum_exp = nullptr;
    expect_invalid(reweigh_ce_partial_forward(&shard.batch, 2, 6, &o, &alias), "partials.sumExp is NULL");
    for (float x : part.max) EXPECT_EQ(-7.0f, x);  // nothing written by the failed calls

    ASSERT_EQ(REWEIGH_STATUS_OK, reweigh_ce_partial_forward(&shard.batch, 2, 6, &o, &part.view));
    expect_invalid(reweigh_ce_partials_merge(4, &part.view, &part.view), "overlaps");
    std::vector<float> low = part.max;
    size_t counted = 0;  // a row with a finite max (ignored rows hold -inf)
    while (counted + 1 < low.size() && !std::isfinite(low[counted])) ++counted;
    ASSERT_TRUE(std::isfinite(low[counted]));
    low[counted] -= 1.0f;
    const std::vector<float> before = part.sum_exp;
    expect_invalid(reweigh_ce_partials_rebase(4, low.data(), &part.view), "globalMax[");
    EXPECT_EQ(before, part.sum_exp);
    // The gradient may not overlap the combined rows it is computed from.
    reweigh_ce_grad_t gv = {part.sum_exp.data(), 1};
    std::vector<float> c(static_cast<size_t>(p.samples()), 1.0f);
    shard.batch.vocab = 1;
    expect_invalid(reweigh_ce_sharded_backward(&shard.batch, 2, 6, &o, &part.view, c.data(), &gv), "overlaps");
}

/*
 * reweigh_ce_normalizer, worked by hand on 2 samples of one row each over V = 3, and its
 * coefficient checks: the same as every other call (finite everywhere, non-negative under
 * WEIGHT_SUM), including samples without counted rows, which contribute nothing to D.
 */
TEST(ShardedNormalizer, HandWorkedAndCheckedAsEveryCall) {
    const float logits[6] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
    int32_t targets[2] = {0, 2};
    const int32_t offsets[3] = {0, 1, 2};
    reweigh_ce_batch_t b = {};
    b.logits = logits;
    b.logits_dtype = REWEIGH_DTYPE_F32;
    b.targets_dtype = REWEIGH_DTYPE_I32;
    b.rows = 2;
    b.vocab = 3;
    b.logits_row_stride = 3;
    b.targets = targets;
    b.offsets = offsets;
    b.offsets_dtype = REWEIGH_DTYPE_I32;
    b.device_type = REWEIGH_DEVICE_CPU;
    b.samples = 2;
    reweigh_ce_options_t o = reweigh_ce_options_default();
    auto d_of = [&](int32_t normalization, const float* c) {
        o.normalization = normalization;
        double d = -1.0;
        EXPECT_EQ(REWEIGH_STATUS_OK, reweigh_ce_normalizer(&b, 3, &o, c, &d)) << reweigh_last_error();
        return d;
    };
    const float c[2] = {2.0f, 3.0f};
    EXPECT_EQ(5.0, d_of(REWEIGH_NORMALIZATION_WEIGHT_SUM, c));  // 2 + 3
    EXPECT_EQ(2.0, d_of(REWEIGH_NORMALIZATION_TOKENS, c));
    EXPECT_EQ(2.0, d_of(REWEIGH_NORMALIZATION_SAMPLES, c));
    EXPECT_EQ(1.0, d_of(REWEIGH_NORMALIZATION_NONE, c));
    targets[1] = -100;  // sample 1 has no counted row
    EXPECT_EQ(2.0, d_of(REWEIGH_NORMALIZATION_WEIGHT_SUM, c));
    EXPECT_EQ(1.0, d_of(REWEIGH_NORMALIZATION_TOKENS, c));
    EXPECT_EQ(1.0, d_of(REWEIGH_NORMALIZATION_WEIGHT_SUM, nullptr));  // c = 1 each, sample 0 only

    auto rejects = [&](int32_t normalization, const float* bad, const char* needle) {
        o.normalization = normalization;
        double d = -1.0;
        EXPECT_EQ(REWEIGH_STATUS_INVALID_ARGUMENT, reweigh_ce_normalizer(&b, 3, &o, bad, &d));
        EXPECT_NE(std::string::npos, std::string(reweigh_last_error()).find(needle)) << reweigh_last_error();
        EXPECT_EQ(-1.0, d);  // nothing written
    };
    const float nan_on_empty[2] = {2.0f, std::numeric_limits<float>::quiet_NaN()};
    rejects(REWEIGH_NORMALIZATION_TOKENS, nan_on_empty, "coefficients[1] = nan is not finite");
    const float negative_on_empty[2] = {2.0f, -1.0f};
    rejects(REWEIGH_NORMALIZATION_WEIGHT_SUM, negative_on_empty, "coefficients[1] = -1 is negative");
}

/* The _on forms with a CPU place are the host merge and rebase; a bad place is named. */
TEST(ShardedPlace, CpuPlaceIsTheHostCombine) {
    Partials a(3), b(3), host(3), on(3);
    const float m[3] = {1.0f, -INFINITY, 4.0f}, d[3] = {2.0f, 0.0f, 1.5f}, s[3] = {-0.5f, 0.0f, -0.25f};
    for (int r = 0; r < 3; ++r) {
        a.max[r] = m[r];
        a.sum_exp[r] = d[r];
        a.entropy_sum[r] = s[r];
        a.logit_sum[r] = 0.5f * r;
        a.target_logit[r] = 0.0f;
        b.max[r] = m[2 - r] + 0.5f;
        b.sum_exp[r] = d[2 - r];
        b.entropy_sum[r] = s[2 - r];
        b.logit_sum[r] = 1.0f;
        b.target_logit[r] = 0.25f;
    }
    host.max = on.max = a.max;
    host.sum_exp = on.sum_exp = a.sum_exp;
    host.entropy_sum = on.entropy_sum = a.entropy_sum;
    host.logit_sum = on.logit_sum = a.logit_sum;
    host.target_logit = on.target_logit = a.target_logit;
    const reweigh_place_t cpu = {REWEIGH_DEVICE_CPU, 0, 0};
    ASSERT_EQ(REWEIGH_STATUS_OK, reweigh_ce_partials_merge(3, &b.view, &host.view));
    ASSERT_EQ(REWEIGH_STATUS_OK, reweigh_ce_partials_merge_on(&cpu, 3, &b.view, &on.view));
    EXPECT_EQ(host.max, on.max);
    EXPECT_EQ(host.sum_exp, on.sum_exp);
    EXPECT_EQ(host.entropy_sum, on.entropy_sum);
    EXPECT_EQ(host.logit_sum, on.logit_sum);
    EXPECT_EQ(host.target_logit, on.target_logit);
    const std::vector<float> global = {5.0f, 5.0f, 5.0f};
    ASSERT_EQ(REWEIGH_STATUS_OK, reweigh_ce_partials_rebase(3, global.data(), &host.view));
    ASSERT_EQ(REWEIGH_STATUS_OK, reweigh_ce_partials_rebase_on(&cpu, 3, global.data(), &on.view));
    EXPECT_EQ(host.max, on.max);
    EXPECT_EQ(host.sum_exp, on.sum_exp);
    EXPECT_EQ(host.entropy_sum, on.entropy_sum);

    const std::vector<float> low = {5.0f, 4.0f, 5.0f};  // row 1's max is 5 after the rebase
    const std::vector<float> before = on.sum_exp;
    EXPECT_EQ(REWEIGH_STATUS_INVALID_ARGUMENT, reweigh_ce_partials_rebase_on(&cpu, 3, low.data(), &on.view));
    EXPECT_NE(std::string::npos, std::string(reweigh_last_error()).find("globalMax[1] = 4 is below max[1] = 5"))
        << reweigh_last_error();
    EXPECT_EQ(before, on.sum_exp);
    EXPECT_EQ(REWEIGH_STATUS_INVALID_ARGUMENT, reweigh_ce_partials_merge_on(nullptr, 3, &b.view, &on.view));
    EXPECT_NE(std::string::npos, std::string(reweigh_last_error()).find("place is NULL"));
    const reweigh_place_t odd = {5, 0, 0};
    EXPECT_EQ(REWEIGH_STATUS_INVALID_ARGUMENT, reweigh_ce_partials_merge_on(&odd, 3, &b.view, &on.view));
    EXPECT_NE(std::string::npos, std::string(reweigh_last_error()).find("place.device_type = 5"));
    if (!reweigh_cuda_compiled()) {
        const reweigh_place_t gpu = {REWEIGH_DEVICE_CUDA, 0, 0};
        EXPECT_EQ(REWEIGH_STATUS_UNSUPPORTED, reweigh_ce_partials_merge_on(&gpu, 3, &b.view, &on.view));
    }
}

}  // namespace
}  // namespace reftest
