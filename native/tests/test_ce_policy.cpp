/*
 * test_ce_policy.cpp: reweigh_policy_forward_backward (the one-pass
 * policy-gradient step, reweigh.h) against a float64 reference written here
 * from the header's formulas (GRPO arXiv:2402.03300 Eq. 3-4, DAPO
 * arXiv:2503.14476 Eq. 8, DFT arXiv:2508.05629), that reference against
 * central finite differences, bit-identity across thread counts, and bad input.
 *
 * Grid, on every ISA this CPU runs: CLIPPED (KL on/off, SEQUENCE/TOKEN,
 * symmetric and decoupled clip) and DFT, entropy term on/off, F32 and BF16
 * logits, plain and softcap + scale, separate and in-place gradients, ignored
 * rows. Ratios are placed away from the clip boundaries (so fp32 logp cannot
 * flip a branch) and on both sides of them, with advantages of both signs.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <utility>

#include "../src/cpu/l2_budget.h"
#include "../src/cpu/token_kernels.h"
#include "reference.h"
#include "row_tolerance.h"
#include "test_support.h"
#include "thread_cases.h"

namespace reftest {
namespace {

/* The per-row inputs of one case, and the policy options. */
struct PolicyCase {
    reweigh_policy_options_t policy = reweigh_policy_options_default();
    std::vector<float> old_logp, adv, ref_logp, beta;  /* beta empty: no entropy term */
};

/* Ratios on both sides of [1 - 0.2, 1 + 0.28] and inside, each at least 0.1 from a boundary. */
const double kRatios[] = {0.5, 0.65, 0.9, 1.0, 1.1, 1.45, 2.0};

PolicyCase make_case(const Problem& p, const Reference& ref, int32_t loss, int32_t level, bool kl, bool entropy,
                     uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    PolicyCase c;
    c.policy.loss = loss;
    c.policy.level = level;
    c.policy.eps_low = 0.2;
    c.policy.eps_high = 0.28;
    c.policy.kl_coefficient = kl ? 0.04 : 0.0;
    const size_t rows = static_cast<size_t>(p.rows);
    c.old_logp.assign(rows, 0.0f);
    c.adv.assign(rows, 0.0f);
    c.ref_logp.assign(rows, 0.0f);
    for (int64_t s = 0; s < p.samples(); ++s) {
        // One advantage per sequence, both signs (GRPO's group-normalised advantages).
        const float a = static_cast<float>((unit(rng) < 0.5 ? -1.0 : 1.0) * (0.3 + unit(rng)));
        for (int64_t r = p.offsets[s]; r < p.offsets[s + 1]; ++r) {
            c.adv[r] = a;
            const double lp = ref.rows[r].counted ? ref.rows[r].logp : -1.0;
            const double rho = kRatios[static_cast<size_t>(unit(rng) * 7.0) % 7];
            c.old_logp[r] = static_cast<float>(lp - log(rho));
            c.ref_logp[r] = static_cast<float>(lp + (unit(rng) - 0.5));
        }
    }
    if (entropy) {
        for (size_t r = 0; r < rows; ++r) c.beta.push_back(static_cast<float>(unit(rng) - 0.5) * 0.1f);
    }
    return c;
}

struct PolicyRef {
    double objective = 0;
    std::vector<double> w, grad, dw; /* dw: bound on |w| change per unit of logp error */
    std::vector<int> clipped;
    std::vector<double> n;
    int64_t below = 0, above = 0;
};

/* The header's formulas in float64, on the float64 row statistics of `ref`. */
PolicyRef policy_reference(const Problem& p, const Reference& ref, const PolicyCase& c,
                           const std::vector<double>* logits = nullptr) {
    const std::vector<double>& z = logits != nullptr ? *logits : p.logits;
    const reweigh_ce_options_t& o = p.options;
    const reweigh_policy_options_t& po = c.policy;
    PolicyRef t;
    const size_t rows = static_cast<size_t>(p.rows);
    t.w.assign(rows, 0.0);
    t.dw.assign(rows, 0.0);
    t.n.assign(rows, 0.0);
    t.clipped.assign(rows, 0);
    t.grad.assign(rows * static_cast<size_t>(p.vocab), 0.0);
    int64_t tokens = 0, seqs = 0;
    for (int64_t s = 0; s < p.samples(); ++s) {
        tokens += ref.token_count[s];
        seqs += ref.token_count[s] > 0 ? 1 : 0;
    }
    for (int64_t s = 0; s < p.samples(); ++s) {
        for (int64_t r = p.offsets[s]; r < p.offsets[s + 1]; ++r) {
            const RowRef& row = ref.rows[r];
            if (!row.counted) continue;
            const double n = po.level == REWEIGH_POLICY_LEVEL_TOKEN
                                 ? 1.0 / static_cast<double>(tokens)
                                 : 1.0 / (static_cast<double>(ref.token_count[s]) * static_cast<double>(seqs));
            t.n[r] = n;
            double loss, dloss, curvature;
            if (po.loss == REWEIGH_POLICY_LOSS_DFT) {
                const double prob = exp(row.logp);
                loss = -prob * row.logp;
                dloss = -prob;
                curvature = prob;
            } else {
                const double rho = exp(row.logp - c.old_logp[r]);
                const double a = c.adv[r];
                const double cl = std::min(std::max(rho, 1 - po.eps_low), 1 + po.eps_high);
                double term = std::min(rho * a, cl * a), dterm = 0;
                if (rho * a <= cl * a) {
                    dterm = rho * a;
                } else {
                    t.clipped[r] = rho > 1 ? 1 : -1;
                    (rho > 1 ? t.above : t.below) += 1;
                }
                curvature = fabs(rho * a);
                if (po.kl_coefficient > 0) {
                    const double q = c.ref_logp[r] - row.logp;
                    term -= po.kl_coefficient * (exp(q) - q - 1);
                    dterm -= po.kl_coefficient * (1 - exp(q));
                    curvature += po.kl_coefficient * exp(q);
                }
                loss = -term;
                dloss = -dterm;
            }
            const double beta = c.beta.empty() ? 0.0 : c.beta[r];
            t.objective += n * loss + beta * row.entropy;
            t.w[r] = -n * dloss;
            t.dw[r] = n * curvature;
            for (int64_t v = 0; v < p.vocab; ++v) {
                const double zv = z[r * p.vocab + v];
                const double zp = transform(zv, o);
                const double prob = zp == -INFINITY ? 0.0 : exp(zp - row.lse);
                const double dl = prob - (v == p.targets[r] ? 1.0 : 0.0);
                const double dh = prob == 0.0 ? 0.0 : -prob * ((zp - row.lse) + row.entropy);
                t.grad[r * p.vocab + v] =
                    o.grad_scale * (t.w[r] * dl + beta * dh) * transform_derivative(zv, o);
            }
        }
    }
    return t;
}

/*
 * Per element (row_tolerance.h): the row's lse error e (Tolerances.row)
 * moves p relatively by e and w by dw e, plus a few fp32 roundings; the
 * entropy part with coefficient beta.
 */
std::vector<double> policy_tolerance(const Problem& p, const Reference& ref, const PolicyRef& pr,
                                     const PolicyCase& c, bool bf16) {
    const double scale = p.options.logit_scale * p.options.grad_scale;
    return row_coefficient_tolerance(
        p, ref, pr.grad, bf16,
        [&](int64_t r, double t) {
            const double w = fabs(pr.w[r]) + 2 * pr.dw[r] * t;
            return scale * (w * (t + 16 * kU) + 2 * pr.dw[r] * t);
        },
        [&](int64_t r) { return c.beta.empty() ? 0.0 : fabs(c.beta[r]) * scale; });
}

struct PolicyOut {
    std::vector<float> logp, entropy, w;
    std::vector<int8_t> clipped;
    double objective = -1;
    int64_t counts[2] = {-1, -1};
    reweigh_policy_result_t view{};

    explicit PolicyOut(int64_t rows)
        : logp(rows, -7.0f), entropy(rows, -7.0f), w(rows, -7.0f), clipped(rows, 9) {
        view = {logp.data(), entropy.data(), w.data(), clipped.data(), &objective, counts};
    }
};

reweigh_status_t call(Buffers& b, const Problem& p, const PolicyCase& c, PolicyOut& out, const reweigh_ce_grad_t& g) {
    const reweigh_policy_rows_t rows = {c.old_logp.data(), c.adv.data(), c.ref_logp.data(),
                                        c.beta.empty() ? nullptr : c.beta.data()};
    return reweigh_policy_forward_backward(&b.batch, &p.options, &c.policy, &rows, &out.view, &g);
}

TEST(CePolicy, AllIsasAllOptionsAgainstFloat64) {
    IsaGuard guard;
    int checked = 0;
    Worst worst;
    for (const std::string& isa : all_isas()) {
        if (!select_isa(isa)) continue;
        for (int variant = 0; variant < 32; ++variant) {
            const bool bf16 = variant % 2 == 1;
            const bool entropy = (variant >> 1) % 2 == 1;
            const bool kl = (variant >> 2) % 2 == 1;
            const int32_t level = (variant >> 3) % 2 == 1 ? REWEIGH_POLICY_LEVEL_TOKEN : REWEIGH_POLICY_LEVEL_SEQUENCE;
            const bool dft = variant >> 4 == 1;
            if (dft && kl) continue;  // the KL term belongs to CLIPPED
            for (int shape = 0; shape < 2; ++shape) {
                GenSpec gen;
                gen.rows = 37;
                gen.vocab = shape == 0 ? 17 : 1000;
                gen.bf16_values = bf16;
                reweigh_ce_options_t o = reweigh_ce_options_default();
                if (variant % 3 == 2) {
                    o.softcap = 30.0f;
                    o.logit_scale = 0.7f;
                } else if (variant % 3 == 1) {
                    o.logit_scale = 1.3f;  // a temperature without softcap
                }
                if (variant % 5 == 3) o.grad_scale = 4.0f;
                const Problem p = make_problem(gen, o, 3000 + 10 * variant + shape);
                const Reference ref = reference(p, false);
                const PolicyCase c = make_case(p, ref, dft ? REWEIGH_POLICY_LOSS_DFT : REWEIGH_POLICY_LOSS_CLIPPED,
                                               level, kl, entropy, 4000 + variant);
                const PolicyRef want = policy_reference(p, ref, c);
                const std::vector<double> tol = policy_tolerance(p, ref, want, c, bf16);
                const Tolerances t = tolerances(p, ref);
                Layout layout;
                layout.logits_dtype = bf16 ? REWEIGH_DTYPE_BF16 : REWEIGH_DTYPE_F32;
                layout.stride_pad = shape;
                for (bool in_place : {false, true}) {
                    const std::string tag = isa + " variant " + std::to_string(variant) + " vocab " +
                                            std::to_string(gen.vocab) + (in_place ? " in place" : "");
                    Buffers b(p, layout);
                    Grad g(layout.logits_dtype, p.rows, p.vocab, 3);
                    reweigh_ce_grad_t view = g.view;
                    if (in_place) view = {b.logits_mut(), b.stride};
                    PolicyOut out(p.rows);
                    ASSERT_EQ(call(b, p, c, out, view), REWEIGH_STATUS_OK) << tag << ": " << reweigh_last_error();
                    const std::vector<double> got = in_place ? read_in_place(b, p.rows, p.vocab) : read_grad(g);
                    EXPECT_TRUE(all_close(tag + " grad", got, want.grad, tol, &worst));
                    double obj_tol = 0;
                    for (int64_t r = 0; r < p.rows; ++r) {
                        const RowRef& row = ref.rows[r];
                        if (!row.counted) {
                            EXPECT_EQ(out.logp[r], 0.0f) << tag << " row " << r;
                            EXPECT_EQ(out.w[r], 0.0f) << tag << " row " << r;
                            EXPECT_EQ(out.clipped[r], 0) << tag << " row " << r;
                            continue;
                        }
                        EXPECT_NEAR(out.logp[r], row.logp, stored(t.row[r], row.logp)) << tag << " row " << r;
                        EXPECT_NEAR(out.entropy[r], row.entropy, stored(t.row[r], row.entropy)) << tag << " row " << r;
                        EXPECT_NEAR(out.w[r], want.w[r], 2 * want.dw[r] * t.row[r] + 2 * kU * fabs(want.w[r]))
                            << tag << " row " << r;
                        EXPECT_EQ(out.clipped[r], want.clipped[r]) << tag << " row " << r;
                        const double beta = c.beta.empty() ? 0.0 : fabs(c.beta[r]);
                        obj_tol += 2 * (want.dw[r] + beta) * t.row[r] + 4 * kU * want.n[r];
                    }
                    EXPECT_NEAR(out.objective, want.objective, obj_tol + 1e-12 * fabs(want.objective)) << tag;
                    EXPECT_EQ(out.counts[0], want.below) << tag;
                    EXPECT_EQ(out.counts[1], want.above) << tag;
                    ++checked;
                }
            }
        }
    }
    EXPECT_GT(checked, 0);
    std::cout << "[ policy  ] worst grad error / tolerance " << worst.ratio << " at " << worst.where << "\n";
}

/*
 * The entropy term keeps a row's exponentials while its logits, the kept fp32 exponentials and the
 * next row's logits fit in half the per-core L2 (l2_budget.h), with injected L2 sizes: 2 MiB
 * (and none reported) keeps fp32 rows up to 87381 entries (12 bytes each <= 1 MiB) and bf16 rows
 * up to 131072 (8 bytes each); 1 MiB and 4 MiB halve and double those. cpuid leaf 4's registers
 * decode to ways x partitions x line x sets (hand-worked caches).
 */
TEST(CePolicy, KeptExponentialsBoundFollowsTheL2Size) {
    using reweigh::cpu::kept_exponentials_bound;
    using reweigh::cpu::keeps_exponentials;
    EXPECT_EQ(kept_exponentials_bound(int64_t{2} << 20), int64_t{1} << 20);
    EXPECT_EQ(kept_exponentials_bound(0), int64_t{1} << 20);
    EXPECT_EQ(kept_exponentials_bound(-1), int64_t{1} << 20);
    EXPECT_EQ(kept_exponentials_bound(1280 * 1024), 640 * 1024);
    struct Case {
        int64_t l2;
        int32_t dtype;
        int64_t last_kept;
    };
    const Case cases[] = {{int64_t{2} << 20, REWEIGH_DTYPE_F32, 87381},  {int64_t{2} << 20, REWEIGH_DTYPE_BF16, 131072},
                          {0, REWEIGH_DTYPE_F32, 87381},                 {0, REWEIGH_DTYPE_BF16, 131072},
                          {int64_t{1} << 20, REWEIGH_DTYPE_F32, 43690},  {int64_t{1} << 20, REWEIGH_DTYPE_BF16, 65536},
                          {int64_t{4} << 20, REWEIGH_DTYPE_F32, 174762}, {int64_t{4} << 20, REWEIGH_DTYPE_BF16, 262144}};
    for (const Case& c : cases) {
        const int64_t bound = kept_exponentials_bound(c.l2);
        const std::string tag = "L2 " + std::to_string(c.l2) + (c.dtype == REWEIGH_DTYPE_F32 ? " f32" : " bf16");
        EXPECT_TRUE(keeps_exponentials(c.dtype, c.last_kept, bound)) << tag;
        EXPECT_FALSE(keeps_exponentials(c.dtype, c.last_kept + 1, bound)) << tag;
    }
    // 2 MiB, 16 ways, 64-byte lines, 2048 sets: EBX = (ways - 1) << 22 | (line - 1), ECX = sets - 1.
    EXPECT_EQ(reweigh::cpu::cache_bytes_from_leaf4((15u << 22) | 63u, 2047u), int64_t{2} << 20);
    // 1.25 MiB, 20 ways, 1024 sets.
    EXPECT_EQ(reweigh::cpu::cache_bytes_from_leaf4((19u << 22) | 63u, 1023u), 1280 * 1024);
    // 8 ways, 2 physical line partitions (bits 21:12 = 1), 512 sets: 8 x 2 x 64 x 512.
    EXPECT_EQ(reweigh::cpu::cache_bytes_from_leaf4((7u << 22) | (1u << 12) | 63u, 511u), 8 * 2 * 64 * 512);
}

/*
 * The step into a separate gradient with row pad `pad` (the padding left as
 * it was) and in place: bit for bit the same, and within the float64
 * reference's tolerance.
 */
void check_separate_and_in_place(const std::string& tag, const Problem& p, const Reference& ref, const PolicyCase& c,
                                 bool bf16, int64_t pad, Worst* worst) {
    const PolicyRef want = policy_reference(p, ref, c);
    const std::vector<double> tol = policy_tolerance(p, ref, want, c, bf16);
    Layout layout;
    layout.logits_dtype = bf16 ? REWEIGH_DTYPE_BF16 : REWEIGH_DTYPE_F32;
    layout.stride_pad = pad;
    Buffers separate(p, layout);
    Grad g(layout.logits_dtype, p.rows, p.vocab, pad);
    PolicyOut out(p.rows);
    ASSERT_EQ(call(separate, p, c, out, g.view), REWEIGH_STATUS_OK) << tag << ": " << reweigh_last_error();
    const std::vector<double> got = read_grad(g);
    for (int64_t r = 0; r + 1 < p.rows; ++r)
        for (int64_t v = p.vocab; v < g.stride; ++v) ASSERT_EQ(g.at(r, v), Grad::kSentinel) << tag << " grad padding row " << r;
    Buffers in(p, layout);
    PolicyOut out_in(p.rows);
    ASSERT_EQ(call(in, p, c, out_in, {in.logits_mut(), in.stride}), REWEIGH_STATUS_OK) << tag;
    EXPECT_TRUE(bit_equal(tag + " separate vs in place", got, read_in_place(in, p.rows, p.vocab)));
    EXPECT_TRUE(all_close(tag + " grad", got, want.grad, tol, worst));
}

/*
 * Rows of 32 KiB and more stream a separate gradient (ce_simd.h [Note:
 * streaming the gradient]); with the entropy term that is token_simd.h's
 * entropy_row through write_row (over the kept exponentials, recomputed p on
 * rows too long to keep them, or with a softcap over pass 0's z'); such a long
 * row without the term is ce_simd.h's fused row. Row strides of vocab + 3 put every row at a
 * different 64-byte misalignment, so the ordinary-store head and the
 * streamed lines both run; in place stores ordinarily: the two must agree bit
 * for bit, and both with the float64 reference.
 */
TEST(CePolicy, StreamedEntropyGradientEqualsInPlace) {
    IsaGuard guard;
    int checked = 0;
    for (const std::string& isa : all_isas()) {
        if (!select_isa(isa)) continue;
        for (int variant = 0; variant < 9; ++variant) {
            const bool bf16 = variant % 2 == 1;
            GenSpec gen;
            gen.rows = 5;
            gen.vocab = bf16 ? 16411 : 8203;  // >= 32 KiB of gradient per row, not a multiple of any W
            // Rows past l2_budget.h's keeps_exponentials bound on a 2 MiB L2 (2 x logits + 4 bytes
            // per entry > 1 MiB): p recomputed in the gradient pass.
            if (variant >= 6) gen.vocab = bf16 ? 131101 : 87383;
            const bool entropy = variant != 8;  // 8: such a row without the term (the fused row)
            gen.bf16_values = bf16;
            reweigh_ce_options_t o = reweigh_ce_options_default();
            if (variant == 2 || variant == 3 || variant == 4 || variant == 5 || variant == 7) o.logit_scale = 1.3f;
            if (variant == 4 || variant == 5) o.softcap = 5.0f;  // the lanes over pass 0's z'
            const Problem p = make_problem(gen, o, 5100 + variant);
            const Reference ref = reference(p, false);
            const PolicyCase c = make_case(p, ref, REWEIGH_POLICY_LOSS_CLIPPED, REWEIGH_POLICY_LEVEL_TOKEN, true,
                                           entropy, 5200 + variant);
            check_separate_and_in_place(isa + " variant " + std::to_string(variant), p, ref, c, bf16, 3, nullptr);
            ++checked;
        }
    }
    EXPECT_GT(checked, 0);
}

/*
 * Rows without the entropy term (beta_r = 0) run the fused row with the
 * driver's RowCarry: the next row's pass 1 under their exp, their gradient
 * written under the next row's exp pass or at the chunk's end (ce_simd.h
 * [Note: the gradient under the next row's exp]). Rows with the term use the
 * same scratch, so a gradient left pending must be written before them.
 * Entropy weights alternate zero and non-zero over 9 rows (an ignored one
 * among them), one chunk: separate (streamed at these vocabularies) and in
 * place must agree bit for bit, and both with the float64 reference; every
 * row's logp and entropy (the carried pass 1 included) must equal
 * reweigh_ce_forward's bit for bit (test_ce_row_carry ties those to each row
 * run alone), with logit scale 1.3 too (common/ce_row.h rounded_float: z'_y
 * is rounded before lse is subtracted in every kernel).
 */
TEST(CePolicy, RowsWithAndWithoutEntropyTermInOneChunk) {
    IsaGuard guard;
    int checked = 0;
    for (const std::string& isa : all_isas()) {
        if (!select_isa(isa)) continue;
        for (int variant = 0; variant < 4; ++variant) {
            const bool bf16 = variant % 2 == 1;
            GenSpec gen;
            gen.rows = 9;
            gen.vocab = variant < 2 ? 1003 : (bf16 ? 16411 : 8203);
            gen.bf16_values = bf16;
            reweigh_ce_options_t o = reweigh_ce_options_default();
            if (variant >= 2) o.logit_scale = 1.3f;  // the scaled source, in both passes
            const Problem p = make_problem(gen, o, 5300 + variant);
            const Reference ref = reference(p, false);
            PolicyCase c = make_case(p, ref, REWEIGH_POLICY_LOSS_CLIPPED, REWEIGH_POLICY_LEVEL_TOKEN, true, true,
                                     5400 + variant);
            for (size_t r = 0; r < c.beta.size(); r += 2) c.beta[r] = 0.0f;
            const PolicyRef want = policy_reference(p, ref, c);
            const std::vector<double> tol = policy_tolerance(p, ref, want, c, bf16);
            Layout layout;
            layout.logits_dtype = bf16 ? REWEIGH_DTYPE_BF16 : REWEIGH_DTYPE_F32;
            const std::string tag = isa + " variant " + std::to_string(variant);
            Buffers separate(p, layout);
            Grad g(layout.logits_dtype, p.rows, p.vocab, 0);
            PolicyOut out(p.rows);
            ASSERT_EQ(call(separate, p, c, out, g.view), REWEIGH_STATUS_OK) << tag << ": " << reweigh_last_error();
            Buffers in(p, layout);
            PolicyOut out_in(p.rows);
            ASSERT_EQ(call(in, p, c, out_in, {in.logits_mut(), in.stride}), REWEIGH_STATUS_OK) << tag;
            EXPECT_TRUE(bit_equal(tag + " separate vs in place", read_grad(g), read_in_place(in, p.rows, p.vocab)));
            EXPECT_TRUE(all_close(tag + " grad", read_grad(g), want.grad, tol));
            Stats st(p.samples(), p.rows);
            ASSERT_EQ(reweigh_ce_forward(&separate.batch, &p.options, &st.view), REWEIGH_STATUS_OK) << tag;
            for (int64_t r = 0; r < p.rows; ++r) {
                if (p.targets[static_cast<size_t>(r)] == p.options.ignore_index) continue;
                const size_t i = static_cast<size_t>(r);
                EXPECT_TRUE(bit_equal(tag + " row " + std::to_string(r) + " (logp, entropy) vs forward",
                                      std::vector<float>{out.logp[i], out.entropy[i]},
                                      std::vector<float>{st.row_logp[i], st.row_entropy[i]}));
            }
            ++checked;
        }
    }
    EXPECT_GT(checked, 0);
}

/* p and c with row i taken from row order[i] (offsets kept: TOKEN-level coefficients ignore them). */
std::pair<Problem, PolicyCase> permuted(const Problem& p, const PolicyCase& c, const std::vector<int64_t>& order) {
    Problem q = p;
    PolicyCase d = c;
    for (size_t i = 0; i < order.size(); ++i) {
        const size_t r = static_cast<size_t>(order[i]);
        std::copy(p.logits.begin() + static_cast<std::ptrdiff_t>(r * p.vocab),
                  p.logits.begin() + static_cast<std::ptrdiff_t>((r + 1) * p.vocab),
                  q.logits.begin() + static_cast<std::ptrdiff_t>(i * p.vocab));
        q.targets[i] = p.targets[r];
        d.old_logp[i] = c.old_logp[r];
        d.adv[i] = c.adv[r];
        d.ref_logp[i] = c.ref_logp[r];
        d.beta[i] = c.beta[r];
    }
    return {q, d};
}

/*
 * A row's results do not depend on the rows around it. Rows with the entropy
 * term and kept exponentials leave their gradient pending in the carry too
 * (the entropy lanes' form of PendingGrad), and every row writes a pending
 * gradient, of either form, beside its own exp (ce_simd.h [Note: the gradient
 * under the next row's exp]); the chunk's last row's is written at the end.
 * The same 9 rows (entropy weight zero on 4 of them, so each kind follows
 * each kind) run in three orders, one chunk each: every row's gradient, logp,
 * entropy and weight must be the same bits in every order, separate (rows on
 * and off 64-byte lines; streamed at 8203 fp32 and 16411 bf16 logits) and in
 * place, on every ISA, with and without a logit scale; the gradient also
 * against the float64 reference. 90007 fp32 logits per row are too many to
 * keep the exponentials next to the row in a 2 MiB L2 ([Note: rows too long
 * to keep e] in src/cpu/ce_simd.h).
 */
TEST(CePolicy, RowResultsDoNotDependOnNeighbouringRows) {
    IsaGuard guard;
    const std::vector<std::vector<int64_t>> orders = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8}, {8, 7, 6, 5, 4, 3, 2, 1, 0}, {3, 0, 8, 1, 5, 2, 7, 4, 6}};
    int checked = 0;
    for (int variant = 0; variant < 7; ++variant) {
        const bool bf16 = variant % 2 == 1;
        reweigh_ce_options_t o = reweigh_ce_options_default();
        if (variant >= 4) o.logit_scale = 1.3f;  // 6: rows too long to keep e (fp32 AVX-512 recomputes p)
        GenSpec gen;
        gen.rows = 9;
        gen.bf16_values = bf16;
        gen.vocab = variant < 2 ? 1003 : variant == 6 ? 90007 : (bf16 ? 16411 : 8203);
        const Problem p = make_problem(gen, o, 5500 + variant);
        const Reference ref = reference(p, false);
        PolicyCase c = make_case(p, ref, REWEIGH_POLICY_LOSS_CLIPPED, REWEIGH_POLICY_LEVEL_TOKEN, true, true,
                                 5600 + variant);
        for (int64_t r : {0, 4, 5, 7}) c.beta[static_cast<size_t>(r)] = 0.0f;
        const PolicyRef want = policy_reference(p, ref, c);
        const std::vector<double> tol = policy_tolerance(p, ref, want, c, bf16);
        Layout layout;
        layout.logits_dtype = bf16 ? REWEIGH_DTYPE_BF16 : REWEIGH_DTYPE_F32;
        for (const std::string& isa : all_isas()) {
            if (!select_isa(isa)) continue;
            std::vector<double> first;  // grad rows, then (logp, entropy, w) per row, in the original order
            for (size_t k = 0; k < orders.size(); ++k) {
                const std::vector<int64_t>& order = orders[k];
                const std::pair<Problem, PolicyCase> pc = permuted(p, c, order);
                for (int mode = 0; mode < 3; ++mode) {  // separate with row pad 0, pad 1, in place
                    const std::string tag = isa + " variant " + std::to_string(variant) + " order " +
                                            std::to_string(k) + (mode == 2 ? " in place" : " pad " + std::to_string(mode));
                    Buffers b(pc.first, layout);
                    Grad g(layout.logits_dtype, p.rows, p.vocab, mode == 2 ? 0 : mode);
                    PolicyOut out(p.rows);
                    const reweigh_ce_grad_t view = mode == 2 ? reweigh_ce_grad_t{b.logits_mut(), b.stride} : g.view;
                    ASSERT_EQ(call(b, pc.first, pc.second, out, view), REWEIGH_STATUS_OK) << tag << ": " << reweigh_last_error();
                    const std::vector<double> grad = mode == 2 ? read_in_place(b, p.rows, p.vocab) : read_grad(g);
                    std::vector<double> got(grad.size() + 3 * static_cast<size_t>(p.rows));
                    for (size_t i = 0; i < order.size(); ++i) {
                        const size_t r = static_cast<size_t>(order[i]), vocab = static_cast<size_t>(p.vocab);
                        std::copy(grad.begin() + static_cast<std::ptrdiff_t>(i * vocab),
                                  grad.begin() + static_cast<std::ptrdiff_t>((i + 1) * vocab),
                                  got.begin() + static_cast<std::ptrdiff_t>(r * vocab));
                        const size_t s = grad.size() + 3 * r;
                        got[s] = out.logp[i];
                        got[s + 1] = out.entropy[i];
                        got[s + 2] = out.w[i];
                    }
                    if (first.empty()) {
                        first = got;
                        EXPECT_TRUE(all_close(tag + " grad", std::vector<double>(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(grad.size())), want.grad, tol));
                    } else {
                        EXPECT_TRUE(bit_equal(tag + " vs order 0 pad 0 (grad rows, then logp, entropy, w)", got, first));
                    }
                }
            }
            ++checked;
        }
    }
    EXPECT_GT(checked, 0);
}

/*
 * Rows with the entropy term that keep their exponentials write their
 * gradient with ce_simd.h's EntropyLanes; bf16 rows take the expanded lane
 * e (A + B z) - b s ([Note: the expanded entropy lane]), whose A + B z
 * cancels where z' is near lse: its error grows with |lse|, and a -inf logit
 * (e = 0) needs the clamp to stay finite. Logits shifted by up to +-60
 * (lse up to ~70, scale 1.3 and 0.7), with -inf and -3e38 logits in some
 * rows, against the float64 reference at the usual tolerance; separate and
 * in place bit for bit, every ISA, both dtypes.
 */
TEST(CePolicy, KeptEntropyRowsWithShiftedAndMaskedLogits) {
    IsaGuard guard;
    Worst worst;
    int checked = 0;
    for (int variant = 0; variant < 8; ++variant) {
        const bool bf16 = variant % 2 == 1;
        const double shift = variant / 2 == 0 ? 60.0 : variant / 2 == 1 ? -40.0 : variant / 2 == 2 ? 25.0 : 0.0;
        GenSpec gen;
        gen.rows = 11;
        gen.vocab = 1003;
        gen.bf16_values = bf16;
        reweigh_ce_options_t o = reweigh_ce_options_default();
        o.logit_scale = variant / 2 == 1 ? 0.7f : variant / 2 == 2 ? 1.3f : 1.0f;
        Problem p = make_problem(gen, o, 5300 + variant);
        for (double& z : p.logits) {
            float f = static_cast<float>(z + shift);
            if (bf16) f = bf16_bits_to_float(float_to_bf16_bits(f));
            z = f;
        }
        for (int64_t r = 0; r < p.rows; r += 3) {  // masked logits (never a target)
            for (int64_t v = r % 7; v < p.vocab; v += 5) {
                if (v != p.targets[static_cast<size_t>(r)]) {
                    p.logits[static_cast<size_t>(r * p.vocab + v)] = r % 2 == 0 ? -INFINITY : -3.0e38;
                }
            }
        }
        const Reference ref = reference(p, false);
        const PolicyCase c =
            make_case(p, ref, REWEIGH_POLICY_LOSS_CLIPPED, REWEIGH_POLICY_LEVEL_TOKEN, true, true, 5400 + variant);
        for (const std::string& isa : all_isas()) {
            if (!select_isa(isa)) continue;
            check_separate_and_in_place(isa + " variant " + std::to_string(variant), p, ref, c, bf16, 1, &worst);
            ++checked;
        }
    }
    EXPECT_GT(checked, 0);
    std::cout << "[ policy  ] shifted logits: worst grad error / tolerance " << worst.ratio << " at " << worst.where
              << "\n";
}

/* The reference gradient is the derivative of the reference objective (CLIPPED + KL + entropy; DFT's
 * stop-gradient has no such check). Central differences in float64, every 7th logit. */
TEST(CePolicy, ReferenceMatchesFiniteDifferences) {
    GenSpec gen;
    gen.rows = 24;
    gen.vocab = 11;
    reweigh_ce_options_t o = reweigh_ce_options_default();
    o.softcap = 4.0f;
    o.logit_scale = 1.2f;
    for (int32_t level : {REWEIGH_POLICY_LEVEL_SEQUENCE, REWEIGH_POLICY_LEVEL_TOKEN}) {
        const Problem p = make_problem(gen, o, 77 + level);
        const Reference ref = reference(p, false);
        const PolicyCase c = make_case(p, ref, REWEIGH_POLICY_LOSS_CLIPPED, level, true, true, 88);
        const PolicyRef want = policy_reference(p, ref, c);
        ASSERT_GT(want.below + want.above, 0) << "no clipped row: the check would miss the clipped branch";
        const double h = 1e-6;
        for (size_t i = 0; i < p.logits.size(); i += 7) {
            std::vector<double> z = p.logits;
            z[i] += h;
            const double up = policy_reference(p, reference(p, false, &z), c, &z).objective;
            z[i] -= 2 * h;
            const double down = policy_reference(p, reference(p, false, &z), c, &z).objective;
            const double fd = (up - down) / (2 * h);
            EXPECT_NEAR(want.grad[i], fd, 1e-7 + 1e-6 * fabs(fd)) << "level " << level << " logit " << i;
        }
    }
}

TEST(CePolicy, ThreadCountDoesNotChangeTheBits) {
    for_each_thread_case([](const std::string& isa, int variant, const GenSpec& gen, const Layout& layout) {
        const Problem p = make_problem(gen, reweigh_ce_options_default(), 900 + variant);
        const Reference ref = reference(p, false);
        const PolicyCase c = make_case(p, ref, REWEIGH_POLICY_LOSS_CLIPPED, REWEIGH_POLICY_LEVEL_SEQUENCE,
                                       true, variant >= 2, 950 + variant);
        Buffers b(p, layout);
        std::vector<double> first_grad;
        std::vector<float> first_w;
        double first_obj = 0;
        for (int32_t threads : {1, 2, 3}) {
            ASSERT_EQ(reweigh_set_num_threads(threads), REWEIGH_STATUS_OK);
            Grad g(layout.logits_dtype, p.rows, p.vocab, 0);
            PolicyOut out(p.rows);
            ASSERT_EQ(call(b, p, c, out, g.view), REWEIGH_STATUS_OK) << reweigh_last_error();
            const std::string tag = isa + " variant " + std::to_string(variant) + " threads " +
                                    std::to_string(threads);
            if (threads == 1) {
                first_grad = read_grad(g);
                first_w = out.w;
                first_obj = out.objective;
            } else {
                EXPECT_TRUE(bit_equal(tag + " grad", read_grad(g), first_grad));
                EXPECT_TRUE(bit_equal(tag + " w", out.w, first_w));
                EXPECT_TRUE(bit_equal(tag + " objective", std::vector<double>{out.objective},
                                      std::vector<double>{first_obj}));
            }
        }
    });
}

/* ---- bad input: the right status, a message naming the argument and index, nothing written ---- */

struct BadPolicy {
    Problem p;
    Buffers b;
    Grad g;
    PolicyCase c;
    PolicyOut out;

    BadPolicy() : p(make_simple()), b(p, Layout{}), g(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0), out(p.rows) {
        const Reference ref = reference(p, false);
        c = make_case(p, ref, REWEIGH_POLICY_LOSS_CLIPPED, REWEIGH_POLICY_LEVEL_SEQUENCE, true, true, 5);
    }

    static Problem make_simple() {
        GenSpec gen;
        gen.rows = 6;
        gen.vocab = 9;
        gen.ignore_fraction = 0;
        return make_problem(gen, reweigh_ce_options_default(), 42);
    }

    void expect(reweigh_status_t got, reweigh_status_t want, const std::string& needle) {
        EXPECT_EQ(got, want) << reweigh_last_error();
        EXPECT_NE(std::string(reweigh_last_error()).find(needle), std::string::npos)
            << "message '" << reweigh_last_error() << "' lacks '" << needle << "'";
        EXPECT_TRUE(bit_equal("grad untouched", g.f32, std::vector<float>(g.f32.size(), Grad::kSentinel)));
        EXPECT_TRUE(bit_equal("rowWeights untouched", out.w, std::vector<float>(out.w.size(), -7.0f)));
        EXPECT_EQ(out.objective, -1.0);
    }

    reweigh_status_t run() { return call(b, p, c, out, g.view); }
};

TEST(CePolicyBadInput, NonFiniteRowInputsNameIndex) {
    {
        BadPolicy t;
        t.c.old_logp[3] = NAN;
        t.expect(t.run(), REWEIGH_STATUS_INVALID_ARGUMENT, "oldLogp[3] = nan is not finite");
    }
    {
        BadPolicy t;
        t.c.adv[4] = INFINITY;
        t.expect(t.run(), REWEIGH_STATUS_INVALID_ARGUMENT, "advantages[4] = inf is not finite");
    }
    {
        BadPolicy t;
        t.c.ref_logp[1] = -INFINITY;
        t.expect(t.run(), REWEIGH_STATUS_INVALID_ARGUMENT, "refLogp[1] = -inf is not finite");
    }
    {
        BadPolicy t;
        t.c.beta[5] = NAN;
        t.expect(t.run(), REWEIGH_STATUS_INVALID_ARGUMENT, "entropyWeights[5] = nan is not finite");
    }
}

TEST(CePolicyBadInput, OptionsAreChecked) {
    const std::pair<void (*)(BadPolicy&), const char*> cases[] = {
        {[](BadPolicy& t) { t.c.policy.eps_low = -0.1; }, "policy.epsLow = -0.1 must be finite and >= 0"},
        {[](BadPolicy& t) { t.c.policy.eps_high = NAN; }, "policy.epsHigh = nan"},
        {[](BadPolicy& t) { t.c.policy.kl_coefficient = -1; }, "policy.klCoefficient = -1"},
        {[](BadPolicy& t) { t.c.policy.loss = 7; }, "policy.loss = 7"},
        {[](BadPolicy& t) { t.c.policy.level = -1; }, "policy.level = -1"},
        {[](BadPolicy& t) { t.p.options.label_smoothing = 0.1f; }, "labelSmoothing = 0.1"},
        {[](BadPolicy& t) { t.p.options.z_loss = 1e-3f; }, "zLoss = 0.001"},
        {[](BadPolicy& t) {
             t.c.policy.loss = REWEIGH_POLICY_LOSS_DFT;
         },
         "the KL term belongs to the CLIPPED loss"},
    };
    for (const auto& bad : cases) {
        BadPolicy t;
        bad.first(t);
        t.expect(t.run(), REWEIGH_STATUS_INVALID_ARGUMENT, bad.second);
    }
}

TEST(CePolicyBadInput, MissingArraysAndOverlapsAreRejected) {
    {
        BadPolicy t;
        const reweigh_policy_rows_t rows = {nullptr, t.c.adv.data(), t.c.ref_logp.data(), nullptr};
        t.expect(reweigh_policy_forward_backward(&t.b.batch, &t.p.options, &t.c.policy, &rows, &t.out.view, &t.g.view),
                 REWEIGH_STATUS_INVALID_ARGUMENT, "rows.oldLogp is NULL");
    }
    {
        BadPolicy t;
        const reweigh_policy_rows_t rows = {t.c.old_logp.data(), t.c.adv.data(), nullptr, nullptr};
        t.expect(reweigh_policy_forward_backward(&t.b.batch, &t.p.options, &t.c.policy, &rows, &t.out.view, &t.g.view),
                 REWEIGH_STATUS_INVALID_ARGUMENT, "rows.refLogp is NULL but policy.klCoefficient");
    }
    {
        BadPolicy t;
        t.out.view.row_weights = t.c.adv.data();  // an output over an input
        t.expect(t.run(), REWEIGH_STATUS_INVALID_ARGUMENT, "result.rowWeights overlaps advantages");
    }
    {
        BadPolicy t;
        t.out.view.row_logp = t.g.f32.data() + 2;  // an output inside the gradient
        t.expect(t.run(), REWEIGH_STATUS_INVALID_ARGUMENT, "result.rowLogp overlaps grad");
    }
}

TEST(CePolicyBadInput, CudaBatchWithoutCudaBuildIsUnsupported) {
    if (reweigh_cuda_compiled() != 0) GTEST_SKIP() << "CUDA build: tests/cuda/ce_cuda_policy.cpp covers CUDA batches";
    BadPolicy t;
    t.b.batch.device_type = REWEIGH_DEVICE_CUDA;
    t.expect(t.run(), REWEIGH_STATUS_UNSUPPORTED, "without CUDA");
    EXPECT_TRUE(bit_equal("grad untouched", t.g.f32, std::vector<float>(t.g.f32.size(), Grad::kSentinel)));
}

TEST(CePolicyBadInput, IgnoredRowsAreNotRead) {
    BadPolicy t;
    t.p.targets[2] = -100;
    Buffers b(t.p, Layout{});
    t.c.old_logp[2] = NAN;
    t.c.adv[2] = NAN;
    t.c.ref_logp[2] = NAN;
    t.c.beta[2] = NAN;
    ASSERT_EQ(call(b, t.p, t.c, t.out, t.g.view), REWEIGH_STATUS_OK) << reweigh_last_error();
    EXPECT_TRUE(isfinite(t.out.objective));
    for (int64_t v = 0; v < t.p.vocab; ++v) EXPECT_EQ(t.g.at(2, v), 0.0f);
}

TEST(CePolicy, EveryRowIgnoredIsAZeroStep) {
    BadPolicy t;
    for (int64_t& y : t.p.targets) y = -100;
    Buffers b(t.p, Layout{});
    ASSERT_EQ(call(b, t.p, t.c, t.out, t.g.view), REWEIGH_STATUS_OK) << reweigh_last_error();
    EXPECT_EQ(t.out.objective, 0.0);
    EXPECT_EQ(t.out.counts[0] + t.out.counts[1], 0);
    EXPECT_TRUE(bit_equal("zero grad", t.g.f32, std::vector<float>(t.g.f32.size(), 0.0f)));
}

}  // namespace
}  // namespace reftest
