/*
 * test_ce_token.cpp: reweigh_ce_backward_rows (per-row loss coefficients w_r
 * and entropy coefficients beta_r, reweigh.h) against a float64 reference
 * written here from the header's formula, that reference against central
 * finite differences, and its bad-input rejections.
 *
 * Grid: the option sets of test_support.h (smoothing, z-loss, softcap, scale,
 * MEAN/SUM, every normalisation, a class id as ignore index, check_finite) x
 * vocab {1, 7, 17, 1000} x rows {0, 3, 37}, F32 and BF16 logits, I32 and I64
 * labels, padded strides, separate and in-place gradients, with and without
 * the entropy term, on every ISA this CPU runs (scalar: common/token_row.h;
 * avx2 and avx512: cpu/token_simd.h).
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "reference.h"
#include "row_tolerance.h"
#include "test_support.h"
#include "thread_cases.h"

namespace reftest {
namespace {

/* Per-row coefficients of one case; beta empty means no entropy term. */
struct RowCoefficients {
    std::vector<double> w, beta;
};

RowCoefficients make_row_coefficients(int64_t rows, bool with_entropy, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unit(-2.0, 2.0);
    RowCoefficients c;
    for (int64_t r = 0; r < rows; ++r) {
        // Every fifth weight is exactly 0 (a clipped token of a policy-gradient objective).
        c.w.push_back(r % 5 == 4 ? 0.0 : static_cast<float>(unit(rng)));
        if (with_entropy) c.beta.push_back(static_cast<float>(unit(rng) * 0.5));
    }
    return c;
}

struct TokenRef {
    Reference base;
    double total = 0;
    std::vector<double> grad;   /* rows * vocab */
    std::vector<double> k;      /* c_s / D [/ n_s] per row */
};

/*
 * total = sum_s c_s red_s( sum_r w_r rowLoss_r + beta_r H_r ) / D (reweigh.h), and its gradient:
 *   dRowLoss/dz'_v = p_v (1 + 2 lambda lse) - (1 - eps) [v == y] - eps / V   (reference.h)
 *   dH/dz'_v       = -p_v (log p_v + H)
 * times dz'/dz.
 */
TokenRef token_reference(const Problem& p, const RowCoefficients& rc, bool with_grad,
                         const std::vector<double>* logits = nullptr) {
    const std::vector<double>& z = logits != nullptr ? *logits : p.logits;
    const reweigh_ce_options_t& o = p.options;
    TokenRef t;
    t.base = reference(p, true, &z);
    t.grad.assign(static_cast<size_t>(p.rows * p.vocab), 0.0);
    t.k.assign(static_cast<size_t>(p.rows), 0.0);
    const Reference& ref = t.base;
    if (!ref.normalizer_valid || ref.d == 0) return t;
    const bool entropy = !rc.beta.empty();
    // Row by row in the order of the samples' sums; k = c_s / D [/ n_s] and k dRowLoss/dz are the
    // per-sample reference's (row_k, grad).
    for (int64_t r = 0; r < p.rows; ++r) {
        if (p.targets[r] == o.ignore_index) continue;
        const RowRef& row = ref.rows[r];
        const double k = ref.row_k[r];
        const double beta = entropy ? rc.beta[r] : 0.0;
        t.total += k * (rc.w[r] * row.loss + beta * row.entropy);
        t.k[r] = k;
        if (!with_grad) continue;
        for (int64_t v = 0; v < p.vocab; ++v) {
            const double zv = z[r * p.vocab + v];
            const double zp = transform(zv, o);
            const double prob = zp == -INFINITY ? 0.0 : exp(zp - row.lse);
            const double dh = prob == 0.0 ? 0.0 : -prob * ((zp - row.lse) + row.entropy);
            const size_t i = static_cast<size_t>(r * p.vocab + v);
            t.grad[i] = rc.w[r] * ref.grad[i] + k * beta * dh * transform_derivative(zv, o);
        }
    }
    return t;
}

/*
 * Kernel tolerance per element (row_tolerance.h): the loss part as
 * grad_tolerance of test_support.h with coefficient k w, the entropy part
 * with coefficient k beta.
 */
std::vector<double> token_tolerance(const Problem& p, const TokenRef& ref, const RowCoefficients& rc, bool bf16) {
    const double scale = p.options.logit_scale;
    return row_coefficient_tolerance(
        p, ref.base, ref.grad, bf16,
        [&](int64_t r, double t) {
            const double a = fabs(1 + 2 * static_cast<double>(p.options.z_loss) * ref.base.rows[r].lse);
            return fabs(ref.k[r] * rc.w[r]) * scale * (a * t + 8 * kU * (a + 1));
        },
        [&](int64_t r) { return rc.beta.empty() ? 0.0 : fabs(ref.k[r] * rc.beta[r]) * scale; });
}

/* The kernel's call on one layout; grad starts as a sentinel. */
reweigh_status_t call(Buffers& b, const Problem& p, const Stats& st, const std::vector<float>& w,
                      const std::vector<float>& beta, const reweigh_ce_grad_t& g) {
    return reweigh_ce_backward_rows(&b.batch, &p.options, st.row_lse.data(), st.row_entropy.data(),
                                    b.coefficients.data(), w.data(), beta.empty() ? nullptr : beta.data(), &g);
}

std::vector<float> as_float(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

TEST(CeToken, AllIsasAllOptionsAgainstFloat64) {
    IsaGuard guard;
    int index = 0;
    Worst worst;
    for (int64_t vocab : {1, 7, 17, 1000}) {
        for (int64_t rows : {0, 3, 37}) {
            for (const NamedOptions& set : option_sets()) {
                const int i = index++;
                GenSpec gen;
                gen.rows = rows;
                gen.vocab = vocab;
                gen.bf16_values = i % 2 == 1;
                gen.signed_coefficients = set.options.normalization != REWEIGH_NORMALIZATION_WEIGHT_SUM;
                const Problem p = make_problem(gen, set.options, 1000 + i);
                const RowCoefficients rc = make_row_coefficients(rows, i % 3 != 0, 2000 + i);
                const TokenRef ref = token_reference(p, rc, true);
                Layout layout;
                layout.logits_dtype = gen.bf16_values ? REWEIGH_DTYPE_BF16 : REWEIGH_DTYPE_F32;
                layout.targets_dtype = i % 4 < 2 ? REWEIGH_DTYPE_I32 : REWEIGH_DTYPE_I64;
                layout.offsets_dtype = i % 3 == 0 ? REWEIGH_DTYPE_I32 : REWEIGH_DTYPE_I64;
                layout.stride_pad = i % 5 == 0 ? 3 : 0;
                layout.grad_stride_pad = i % 7 == 0 ? 2 : 0;
                const std::vector<double> tol = token_tolerance(p, ref, rc, gen.bf16_values);
                const std::vector<float> w = as_float(rc.w), beta = as_float(rc.beta);
                for (const std::string& isa : all_isas()) {
                    if (!select_isa(isa)) continue;
                    const std::string tag = isa + " V=" + std::to_string(vocab) + " rows=" + std::to_string(rows) +
                                            " " + set.name + (beta.empty() ? "" : " +entropy");
                    Buffers b(p, layout);
                    Stats st(p.samples(), p.rows);
                    ASSERT_EQ(reweigh_ce_forward(&b.batch, &p.options, &st.view), REWEIGH_STATUS_OK) << tag;
                    Grad g(layout.logits_dtype, p.rows, p.vocab, layout.grad_stride_pad);
                    const reweigh_status_t status = call(b, p, st, w, beta, g.view);
                    if (!ref.base.normalizer_valid) {
                        ASSERT_EQ(status, REWEIGH_STATUS_INVALID_ARGUMENT) << tag;
                        continue;
                    }
                    ASSERT_EQ(status, REWEIGH_STATUS_OK) << tag << " " << reweigh_last_error();
                    const std::vector<double> got = read_grad(g);
                    EXPECT_TRUE(all_close(tag, got, ref.grad, tol, &worst));
                    for (int64_t r = 0; r + 1 < p.rows; ++r)
                        for (int64_t v = p.vocab; v < g.stride; ++v)
                            ASSERT_EQ(g.at(r, v), Grad::kSentinel) << tag << " grad padding row " << r;
                    // In place over a fresh copy: bit-identical to the separate buffer.
                    Buffers in(p, layout);
                    reweigh_ce_grad_t gin{in.logits_mut(), in.stride};
                    ASSERT_EQ(call(in, p, st, w, beta, gin), REWEIGH_STATUS_OK) << tag << " " << reweigh_last_error();
                    EXPECT_TRUE(bit_equal(tag + " in place", read_in_place(in, p.rows, p.vocab), got));
                }
            }
        }
    }
    std::cout << "worst error / tolerance: " << worst.ratio << " at " << worst.where << "\n";
}

/* The reference's hand-derived gradient (loss and entropy parts) against central differences of its total. */
TEST(CeToken, ReferenceAndKernelMatchFiniteDifferences) {
    IsaGuard guard;
    int index = 0;
    for (int64_t vocab : {1, 2, 5, 7}) {
        for (const NamedOptions& set : option_sets()) {
            const int i = index++;
            GenSpec gen;
            gen.rows = 6;
            gen.vocab = vocab;
            gen.logit_sigma = 2.0;
            gen.signed_coefficients = set.options.normalization != REWEIGH_NORMALIZATION_WEIGHT_SUM;
            const Problem p = make_problem(gen, set.options, 300 + i);
            const RowCoefficients rc = make_row_coefficients(gen.rows, true, 400 + i);
            const TokenRef ref = token_reference(p, rc, true);
            if (ref.base.counted_rows == 0 || !ref.base.normalizer_valid) continue;
            std::vector<double> z = p.logits, fd(z.size()), tight(z.size());
            for (size_t j = 0; j < z.size(); ++j) {
                const double h = 1e-5 * std::max(1.0, fabs(p.logits[j]));
                z[j] = p.logits[j] + h;
                const double up = token_reference(p, rc, false, &z).total;
                z[j] = p.logits[j] - h;
                const double down = token_reference(p, rc, false, &z).total;
                z[j] = p.logits[j];
                fd[j] = (up - down) / (2 * h);
                tight[j] = 1e-8 + 1e-7 * fabs(fd[j]);
            }
            const std::string tag = "V=" + std::to_string(vocab) + " " + set.name;
            EXPECT_TRUE(all_close(tag + " reference vs finite differences", ref.grad, fd, tight));
            std::vector<double> tol = token_tolerance(p, ref, rc, false);
            for (size_t j = 0; j < tol.size(); ++j) tol[j] += tight[j];
            const std::vector<float> w = as_float(rc.w), beta = as_float(rc.beta);
            for (const std::string& isa : all_isas()) {
                if (!select_isa(isa)) continue;
                Buffers b(p, Layout{});
                Stats st(p.samples(), p.rows);
                ASSERT_EQ(reweigh_ce_forward(&b.batch, &p.options, &st.view), REWEIGH_STATUS_OK);
                Grad g(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0);
                ASSERT_EQ(call(b, p, st, w, beta, g.view), REWEIGH_STATUS_OK) << reweigh_last_error();
                EXPECT_TRUE(all_close(isa + " " + tag + " kernel vs finite differences", read_grad(g), fd, tol));
            }
        }
    }
}

/*
 * w_r = 1 and no entropy term is reweigh_ce_backward, bit for bit on every ISA: each token row
 * kernel then runs its ISA's per-sample backward formula operation for operation.
 */
TEST(CeToken, UnitWeightsEqualPerSampleBackward) {
    IsaGuard guard;
    int index = 0;
    for (const std::string& isa : all_isas()) {
        if (!select_isa(isa)) continue;
        for (const NamedOptions& set : option_sets()) {
            GenSpec gen;
            gen.rows = 29;
            gen.vocab = 33;
            gen.signed_coefficients = set.options.normalization != REWEIGH_NORMALIZATION_WEIGHT_SUM;
            const Problem p = make_problem(gen, set.options, 500 + index++);
            Buffers b(p, Layout{});
            Stats st(p.samples(), p.rows);
            ASSERT_EQ(reweigh_ce_forward(&b.batch, &p.options, &st.view), REWEIGH_STATUS_OK);
            Grad want(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0), got(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0);
            ASSERT_EQ(reweigh_ce_backward(&b.batch, &p.options, st.row_lse.data(), b.coefficients.data(), &want.view),
                      REWEIGH_STATUS_OK);
            const std::vector<float> ones(static_cast<size_t>(p.rows), 1.0f);
            ASSERT_EQ(call(b, p, st, ones, {}, got.view), REWEIGH_STATUS_OK) << reweigh_last_error();
            EXPECT_TRUE(bit_equal(isa + " " + set.name, got.f32, want.f32));
        }
    }
}

/*
 * The same on rows long enough to stream a separate gradient (32 KiB or more, ce_simd.h [Note:
 * streaming the gradient]), fp32 and bf16 logits, b = 0 and b != 0, a softcap, the gradient at
 * several element offsets from a 64-byte line (bf16 lane pairs realigned to a line, ordinary stores
 * before it) and in place: unit row weights give the per-sample backward's bits on every path of
 * its row kernel, and the next-row prefetch (several rows per call) changes nothing.
 */
/* The bytes [p, p + n) as 16-bit words (n even), printable in a mismatch report. */
std::vector<uint16_t> words(const unsigned char* p, size_t n) {
    std::vector<uint16_t> out(n / 2);
    memcpy(out.data(), p, n);
    return out;
}

TEST(CeToken, UnitWeightsEqualPerSampleBackwardOnStreamedRows) {
    IsaGuard guard;
    int index = 0;
    for (const std::string& isa : all_isas()) {
        if (!select_isa(isa)) continue;
        for (const int32_t dtype : {REWEIGH_DTYPE_F32, REWEIGH_DTYPE_BF16}) {
            for (const NamedOptions& set : option_sets()) {
                const std::string name = set.name;
                if (name.find("default") != 0 && name.find("eps=0.1") == std::string::npos &&
                    name.find("softcap=30") == std::string::npos)
                    continue;
                GenSpec gen;
                gen.rows = 4;
                gen.vocab = 20019;  // bf16 40 KB, fp32 80 KB per row: both stream; odd, so a scalar tail
                gen.ignore_fraction = 0;
                gen.bf16_values = dtype == REWEIGH_DTYPE_BF16;
                gen.signed_coefficients = set.options.normalization != REWEIGH_NORMALIZATION_WEIGHT_SUM;
                const Problem p = make_problem(gen, set.options, 700 + index++);
                Layout layout;
                layout.logits_dtype = dtype;
                Buffers b(p, layout);
                Stats st(p.samples(), p.rows);
                ASSERT_EQ(reweigh_ce_forward(&b.batch, &p.options, &st.view), REWEIGH_STATUS_OK);
                const std::vector<float> ones(static_cast<size_t>(p.rows), 1.0f);
                const size_t es = dtype == REWEIGH_DTYPE_F32 ? 4 : 2;
                const size_t bytes = static_cast<size_t>(p.rows * p.vocab) * es;
                for (const size_t shift : {0, 1, 3, 8, 15}) {
                    const std::string tag = isa + (es == 4 ? " f32 " : " bf16 ") + name + " grad at line + " +
                                            std::to_string(shift * es) + " bytes";
                    std::vector<unsigned char> want_raw(bytes + 128, 0xab), got_raw(bytes + 128, 0xcd);
                    const size_t lead = (64 - reinterpret_cast<uintptr_t>(want_raw.data()) % 64) % 64 + shift * es;
                    const size_t lead_got = (64 - reinterpret_cast<uintptr_t>(got_raw.data()) % 64) % 64 + shift * es;
                    reweigh_ce_grad_t want{want_raw.data() + lead, p.vocab}, got{got_raw.data() + lead_got, p.vocab};
                    ASSERT_EQ(reweigh_ce_backward(&b.batch, &p.options, st.row_lse.data(), b.coefficients.data(), &want),
                              REWEIGH_STATUS_OK) << tag;
                    ASSERT_EQ(call(b, p, st, ones, {}, got), REWEIGH_STATUS_OK) << tag << " " << reweigh_last_error();
                    EXPECT_TRUE(bit_equal(tag + " (16-bit words)", words(got_raw.data() + lead_got, bytes),
                                          words(want_raw.data() + lead, bytes)));
                }
                Buffers want_in(p, layout), got_in(p, layout);
                reweigh_ce_grad_t want{want_in.logits_mut(), want_in.stride}, got{got_in.logits_mut(), got_in.stride};
                ASSERT_EQ(reweigh_ce_backward(&want_in.batch, &p.options, st.row_lse.data(), want_in.coefficients.data(), &want),
                          REWEIGH_STATUS_OK);
                ASSERT_EQ(call(got_in, p, st, ones, {}, got), REWEIGH_STATUS_OK) << reweigh_last_error();
                EXPECT_TRUE(bit_equal(isa + " " + name + " in place", read_in_place(got_in, p.rows, p.vocab),
                                      read_in_place(want_in, p.rows, p.vocab)));
            }
        }
    }
}

/*
 * Rows run in parallel, each written by one thread from its own inputs: 1, 2 and 3 threads give the
 * same bits, with and without the entropy term, fp32 and bf16, on every ISA. The batch is above the
 * size that stays on the calling thread (kInlineLogits in ce_token.cpp).
 */
TEST(CeToken, ThreadCountDoesNotChangeTheBits) {
    for_each_thread_case([](const std::string& isa, int variant, const GenSpec& gen, const Layout& layout) {
        reweigh_ce_options_t o = reweigh_ce_options_default();
        o.softcap = variant == 3 ? 30.0f : 0.0f;
        const Problem p = make_problem(gen, o, 900 + variant);
        const RowCoefficients rc = make_row_coefficients(p.rows, variant >= 2, 950 + variant);
        const std::vector<float> w = as_float(rc.w), beta = as_float(rc.beta);
        Buffers b(p, layout);
        Stats st(p.samples(), p.rows);
        ASSERT_EQ(reweigh_ce_forward(&b.batch, &p.options, &st.view), REWEIGH_STATUS_OK);
        std::vector<double> first;
        for (int32_t threads : {1, 2, 3}) {
            ASSERT_EQ(reweigh_set_num_threads(threads), REWEIGH_STATUS_OK);
            Grad g(layout.logits_dtype, p.rows, p.vocab, 0);
            ASSERT_EQ(call(b, p, st, w, beta, g.view), REWEIGH_STATUS_OK) << reweigh_last_error();
            const std::vector<double> got = read_grad(g);
            if (threads == 1) {
                first = got;
            } else {
                EXPECT_TRUE(bit_equal(isa + " variant " + std::to_string(variant) + " threads " +
                                          std::to_string(threads),
                                      got, first));
            }
        }
    });
}

/* ---- bad input: the right status, a message naming the argument and index, and grad untouched ---- */

struct BadCase {
    Problem p;
    Buffers b;
    Stats st;
    Grad g;
    std::vector<float> w, beta;

    BadCase()
        : p(make_simple()), b(p, Layout{}), st(p.samples(), p.rows), g(REWEIGH_DTYPE_F32, p.rows, p.vocab, 0),
          w(static_cast<size_t>(p.rows), 0.5f), beta(static_cast<size_t>(p.rows), 0.1f) {
        EXPECT_EQ(reweigh_ce_forward(&b.batch, &p.options, &st.view), REWEIGH_STATUS_OK);
    }

    static Problem make_simple() {
        GenSpec gen;
        gen.rows = 6;
        gen.vocab = 9;
        gen.ignore_fraction = 0;
        reweigh_ce_options_t o = reweigh_ce_options_default();
        o.normalization = REWEIGH_NORMALIZATION_NONE;
        return make_problem(gen, o, 42);
    }

    void expect(reweigh_status_t got, reweigh_status_t want, const std::string& needle) {
        EXPECT_EQ(got, want) << reweigh_last_error();
        EXPECT_NE(std::string(reweigh_last_error()).find(needle), std::string::npos)
            << "message '" << reweigh_last_error() << "' lacks '" << needle << "'";
        EXPECT_TRUE(bit_equal("grad untouched", g.f32, std::vector<float>(g.f32.size(), Grad::kSentinel)));
    }

    reweigh_status_t run(const float* entropy, const float* w_ptr, const float* beta_ptr) {
        return reweigh_ce_backward_rows(&b.batch, &p.options, st.row_lse.data(), entropy, b.coefficients.data(),
                                        w_ptr, beta_ptr, &g.view);
    }
};

TEST(CeTokenBadInput, NonFiniteRowWeightNamesIndex) {
    BadCase c;
    c.w[2] = NAN;
    c.expect(c.run(c.st.row_entropy.data(), c.w.data(), nullptr), REWEIGH_STATUS_INVALID_ARGUMENT, "rowWeights[2]");
    BadCase d;
    d.w[5] = -INFINITY;
    d.expect(d.run(nullptr, d.w.data(), nullptr), REWEIGH_STATUS_INVALID_ARGUMENT, "rowWeights[5]");
}

TEST(CeTokenBadInput, NonFiniteEntropyInputsNameIndex) {
    BadCase c;
    c.beta[4] = INFINITY;
    c.expect(c.run(c.st.row_entropy.data(), c.w.data(), c.beta.data()), REWEIGH_STATUS_INVALID_ARGUMENT,
             "rowEntropyWeights[4]");
    BadCase d;
    d.st.row_entropy[1] = NAN;
    d.expect(d.run(d.st.row_entropy.data(), d.w.data(), d.beta.data()), REWEIGH_STATUS_INVALID_ARGUMENT,
             "rowEntropy[1]");
}

TEST(CeTokenBadInput, MissingArraysAreRejected) {
    BadCase c;
    c.expect(c.run(nullptr, nullptr, nullptr), REWEIGH_STATUS_INVALID_ARGUMENT, "rowWeights is NULL");
    BadCase d;
    d.expect(d.run(nullptr, d.w.data(), d.beta.data()), REWEIGH_STATUS_INVALID_ARGUMENT, "rowEntropy is NULL");
}

TEST(CeTokenBadInput, RowWeightsInsideGradAreRejected) {
    BadCase c;
    c.expect(c.run(nullptr, c.g.f32.data() + 3, nullptr), REWEIGH_STATUS_INVALID_ARGUMENT, "grad overlaps rowWeights");
}

TEST(CeTokenBadInput, CudaBatchWithoutCudaBuildIsUnsupported) {
    if (reweigh_cuda_compiled() != 0) GTEST_SKIP() << "CUDA build: tests/cuda/ce_cuda_token_shard.cpp covers CUDA batches";
    BadCase c;
    c.b.batch.device_type = REWEIGH_DEVICE_CUDA;
    c.expect(c.run(nullptr, c.w.data(), nullptr), REWEIGH_STATUS_UNSUPPORTED, "without CUDA");
}

TEST(CeTokenBadInput, IgnoredRowsAreNotRead) {
    BadCase c;
    std::vector<int64_t> targets(c.b.t64);
    c.b.t64[2] = c.p.options.ignore_index;
    c.w[2] = NAN;  // an ignored row's weight is never read
    c.beta[2] = NAN;
    ASSERT_EQ(c.run(c.st.row_entropy.data(), c.w.data(), c.beta.data()), REWEIGH_STATUS_OK) << reweigh_last_error();
    for (int64_t v = 0; v < c.p.vocab; ++v) EXPECT_EQ(c.g.at(2, v), 0.0f);
    for (int64_t v = 0; v < c.p.vocab; ++v) EXPECT_TRUE(isfinite(c.g.at(3, v)));
}

TEST(CeTokenBadInput, NegativeCoefficientUnderWeightSumIsRejectedSignedRowWeightsAreNot) {
    BadCase c;
    c.p.options.normalization = REWEIGH_NORMALIZATION_WEIGHT_SUM;
    c.b.coefficients[0] = -0.5f;
    c.expect(c.run(nullptr, c.w.data(), nullptr), REWEIGH_STATUS_INVALID_ARGUMENT, "coefficients[0]");
    BadCase d;
    d.p.options.normalization = REWEIGH_NORMALIZATION_WEIGHT_SUM;
    for (size_t r = 0; r < d.w.size(); ++r) d.w[r] = r % 2 == 0 ? -1.5f : 2.0f;
    ASSERT_EQ(d.run(d.st.row_entropy.data(), d.w.data(), d.beta.data()), REWEIGH_STATUS_OK) << reweigh_last_error();
}

TEST(CeTokenBadInput, NonFiniteLogitUnderCheckFiniteNamesRowAndColumn) {
    BadCase c;
    c.p.options.check_finite = 1;
    c.b.f32[static_cast<size_t>(4 * c.b.stride + 6)] = NAN;
    c.expect(c.run(nullptr, c.w.data(), nullptr), REWEIGH_STATUS_NON_FINITE_INPUT, "logits[row 4, column 6] = NaN");
}

/* D = 0 (every row ignored) is a zero step with row weights too: OK and an exact zero gradient. */
TEST(CeToken, EveryRowIgnoredIsAZeroStep) {
    BadCase c;
    for (int64_t& y : c.b.t64) y = c.p.options.ignore_index;
    for (reweigh_normalization_t n : {REWEIGH_NORMALIZATION_WEIGHT_SUM, REWEIGH_NORMALIZATION_TOKENS,
                                      REWEIGH_NORMALIZATION_SAMPLES}) {
        c.p.options.normalization = n;
        std::fill(c.g.f32.begin(), c.g.f32.end(), Grad::kSentinel);
        ASSERT_EQ(c.run(c.st.row_entropy.data(), c.w.data(), c.beta.data()), REWEIGH_STATUS_OK)
            << reweigh_last_error();
        EXPECT_TRUE(bit_equal("zero gradient", c.g.f32, std::vector<float>(c.g.f32.size(), 0.0f)));
    }
}

}  // namespace
}  // namespace reftest
