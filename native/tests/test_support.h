/*
 * test_support.h: problem generators, ABI call wrappers and comparison
 * helpers shared by the native suites. Everything goes through reweigh.h only.
 *
 * Buffers are allocated at their exact size ((rows - 1) * stride + vocab
 * elements), so under AddressSanitizer a kernel that touches one element past
 * a row or the batch is a heap-buffer-overflow report, not a silent pass.
 */
#ifndef REWEIGH_TESTS_TEST_SUPPORT_H
#define REWEIGH_TESTS_TEST_SUPPORT_H

#include <gtest/gtest.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "batch_of.h"
#include "reference.h"
#include "reweigh/reweigh.h"

namespace reftest {

/* ---- ISA variants ---- */

inline const std::vector<std::string>& all_isas() {
    static const std::vector<std::string> isas = {"scalar", "avx2", "avx512"};
    return isas;
}

/* Selects `isa`; false (and the ISA stays as it was) when this CPU/OS cannot run it. */
inline bool select_isa(const std::string& isa) { return reweigh_set_cpu_isa(isa.c_str()) == REWEIGH_STATUS_OK; }

/* Restores "auto" and the default thread count when a test ends. */
struct IsaGuard {
    int32_t threads = reweigh_num_threads();
    ~IsaGuard() {
        reweigh_set_cpu_isa("auto");
        reweigh_set_num_threads(threads);
    }
};

/* ---- problem generation ---- */

struct GenSpec {
    int64_t rows = 3;
    int64_t vocab = 17;
    double logit_sigma = 3.0;      /* logits ~ N(0, sigma) */
    double ignore_fraction = 0.15; /* rows whose target is ignore_index */
    bool bf16_values = false;      /* round logits to bf16-representable values */
    bool signed_coefficients = false;
};

/* rows x vocab with `ignore_fraction` of the rows ignored; the other fields at their defaults. */
inline GenSpec gen_spec(int64_t rows, int64_t vocab, double ignore_fraction) {
    GenSpec g;
    g.rows = rows;
    g.vocab = vocab;
    g.ignore_fraction = ignore_fraction;
    return g;
}

/* Random partition of rows into samples (some empty), random targets and coefficients. */
inline Problem make_problem(const GenSpec& g, const reweigh_ce_options_t& options, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, g.logit_sigma);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    Problem p;
    p.rows = g.rows;
    p.vocab = g.vocab;
    p.options = options;
    p.logits.resize(static_cast<size_t>(g.rows * g.vocab));
    for (double& z : p.logits) {
        float f = static_cast<float>(normal(rng));
        if (g.bf16_values) f = bf16_bits_to_float(float_to_bf16_bits(f));
        z = f;
    }
    p.targets.resize(static_cast<size_t>(g.rows));
    for (int64_t& y : p.targets) {
        y = unit(rng) < g.ignore_fraction ? options.ignore_index
                                          : static_cast<int64_t>(unit(rng) * static_cast<double>(g.vocab));
        if (y >= g.vocab) y = g.vocab - 1;
    }
    p.offsets.push_back(0);
    int64_t r = 0;
    while (r < g.rows) {
        const double u = unit(rng);
        const int64_t len = u < 0.1 ? 0 : 1 + static_cast<int64_t>(unit(rng) * 12.0);
        r = std::min(g.rows, r + len);
        p.offsets.push_back(r);
    }
    if (g.rows == 0 && unit(rng) < 0.5) p.offsets.push_back(0);  // an empty sample in an empty batch
    for (int64_t s = 0; s < p.samples(); ++s) {
        // Coefficients stay away from 0 in sum: WEIGHT_SUM divides by their sum.
        const double c = g.signed_coefficients ? (unit(rng) < 0.3 ? -1.0 : 1.0) * (0.25 + unit(rng))
                                               : 0.25 + unit(rng);
        p.coefficients.push_back(static_cast<float>(c));
    }
    return p;
}

/* The option sets every shape is run under (names are printed on failure). */
struct NamedOptions {
    const char* name;
    reweigh_ce_options_t options;
};

inline std::vector<NamedOptions> option_sets() {
    std::vector<NamedOptions> sets;
    reweigh_ce_options_t o = reweigh_ce_options_default();
    sets.push_back({"default(MEAN,WEIGHT_SUM)", o});
    o = reweigh_ce_options_default();
    o.token_reduction = REWEIGH_TOKEN_REDUCTION_SUM;
    o.normalization = REWEIGH_NORMALIZATION_TOKENS;
    o.label_smoothing = 0.1f;
    sets.push_back({"SUM,TOKENS,eps=0.1", o});
    o = reweigh_ce_options_default();
    o.z_loss = 1e-3f;
    o.normalization = REWEIGH_NORMALIZATION_SAMPLES;
    sets.push_back({"zloss=1e-3,SAMPLES", o});
    o = reweigh_ce_options_default();
    o.softcap = 30.0f;
    o.logit_scale = 0.7f;
    o.normalization = REWEIGH_NORMALIZATION_NONE;
    sets.push_back({"softcap=30,scale=0.7,NONE", o});
    o = reweigh_ce_options_default();
    o.label_smoothing = 0.05f;
    o.z_loss = 1e-4f;
    o.softcap = 5.0f;
    o.logit_scale = 1.3f;
    o.token_reduction = REWEIGH_TOKEN_REDUCTION_SUM;
    o.normalization = REWEIGH_NORMALIZATION_EXPLICIT;
    o.normalizer = 7.5;
    sets.push_back({"all(eps,zloss,softcap=5,scale=1.3,SUM,EXPLICIT)", o});
    o = reweigh_ce_options_default();
    o.ignore_index = 3;  // a real class id as the ignore index
    o.check_finite = 1;
    o.logit_scale = 2.0f;
    sets.push_back({"ignore=3,check_finite,scale=2", o});
    return sets;
}

/* ---- kernel calls ---- */

struct Layout {
    int32_t logits_dtype = REWEIGH_DTYPE_F32;
    int32_t targets_dtype = REWEIGH_DTYPE_I64;
    int32_t offsets_dtype = REWEIGH_DTYPE_I64;
    int64_t stride_pad = 0;      /* logits row stride = vocab + pad */
    int64_t grad_stride_pad = 0; /* separate grad: row stride = vocab + pad (in place uses the logits') */
};

inline int64_t span(int64_t rows, int64_t stride, int64_t vocab) { return rows == 0 ? 0 : (rows - 1) * stride + vocab; }

/* The problem laid out in ABI buffers (exact sizes, see the header comment). */
struct Buffers {
    Layout layout;
    int64_t stride = 0;
    std::vector<float> f32;
    std::vector<uint16_t> b16;
    std::vector<int32_t> t32, o32;
    std::vector<int64_t> t64, o64;
    std::vector<float> coefficients;
    reweigh_ce_batch_t batch{};

    Buffers(const Problem& p, const Layout& l) : layout(l) {
        stride = p.vocab + l.stride_pad;
        const int64_t n = span(p.rows, stride, p.vocab);
        if (l.logits_dtype == REWEIGH_DTYPE_F32) {
            f32.assign(static_cast<size_t>(n), 12345.0f);  // padding holds a sentinel
        } else {
            b16.assign(static_cast<size_t>(n), float_to_bf16_bits(12345.0f));
        }
        for (int64_t r = 0; r < p.rows; ++r) {
            for (int64_t v = 0; v < p.vocab; ++v) {
                const float z = static_cast<float>(p.logits[r * p.vocab + v]);
                if (l.logits_dtype == REWEIGH_DTYPE_F32) {
                    f32[r * stride + v] = z;
                } else {
                    b16[r * stride + v] = float_to_bf16_bits(z);
                }
            }
        }
        for (int64_t y : p.targets) {
            t32.push_back(static_cast<int32_t>(y));
            t64.push_back(y);
        }
        for (int64_t o : p.offsets) {
            o32.push_back(static_cast<int32_t>(o));
            o64.push_back(o);
        }
        for (double c : p.coefficients) coefficients.push_back(static_cast<float>(c));
        batch.logits = l.logits_dtype == REWEIGH_DTYPE_F32 ? static_cast<const void*>(f32.data())
                                                            : static_cast<const void*>(b16.data());
        batch.logits_dtype = l.logits_dtype;
        batch.targets_dtype = l.targets_dtype;
        batch.rows = p.rows;
        batch.vocab = p.vocab;
        batch.logits_row_stride = stride;
        batch.targets = l.targets_dtype == REWEIGH_DTYPE_I32 ? static_cast<const void*>(t32.data())
                                                              : static_cast<const void*>(t64.data());
        batch.offsets = l.offsets_dtype == REWEIGH_DTYPE_I32 ? static_cast<const void*>(o32.data())
                                                              : static_cast<const void*>(o64.data());
        batch.offsets_dtype = l.offsets_dtype;
        batch.device_type = REWEIGH_DEVICE_CPU;
        batch.samples = p.samples();
        batch.device_index = 0;
        batch.stream = 0;
    }

    void* logits_mut() {
        return layout.logits_dtype == REWEIGH_DTYPE_F32 ? static_cast<void*>(f32.data())
                                                        : static_cast<void*>(b16.data());
    }
};

struct Stats {
    std::vector<float> loss, log_prob_sum, mean_entropy, row_lse, row_logp, row_entropy;
    std::vector<int64_t> token_count;
    reweigh_ce_stats_t view{};

    Stats(int64_t samples, int64_t rows)
        : loss(samples, -7.0f), log_prob_sum(samples, -7.0f), mean_entropy(samples, -7.0f), row_lse(rows, -7.0f),
          row_logp(rows, -7.0f), row_entropy(rows, -7.0f), token_count(samples, -7) {
        view = {loss.data(), log_prob_sum.data(), token_count.data(), mean_entropy.data(),
                row_lse.data(), row_logp.data(), row_entropy.data()};
    }
};

/* A gradient buffer in the logits' dtype, read back as float. */
struct Grad {
    /* Written before a call: must be overwritten on rows, kept on padding; exact in fp32 and bf16. */
    static constexpr float kSentinel = -1000.0f;
    int32_t dtype;
    int64_t rows, vocab, stride;
    std::vector<float> f32;
    std::vector<uint16_t> b16;
    reweigh_ce_grad_t view{};

    Grad(int32_t dt, int64_t r, int64_t v, int64_t pad) : dtype(dt), rows(r), vocab(v), stride(v + pad) {
        const size_t n = static_cast<size_t>(span(r, stride, v));
        if (dt == REWEIGH_DTYPE_F32) {
            f32.assign(n, kSentinel);
            view.data = f32.data();
        } else {
            b16.assign(n, float_to_bf16_bits(kSentinel));
            view.data = b16.data();
        }
        view.row_stride = stride;
    }

    float at(int64_t r, int64_t v) const {
        const size_t i = static_cast<size_t>(r * stride + v);
        return dtype == REWEIGH_DTYPE_F32 ? f32[i] : bf16_bits_to_float(b16[i]);
    }
};

/* Reads element (r, v) of a logits-shaped buffer (used for in-place results). */
inline float read_elem(const Buffers& b, int64_t r, int64_t v) {
    const size_t i = static_cast<size_t>(r * b.stride + v);
    return b.layout.logits_dtype == REWEIGH_DTYPE_F32 ? b.f32[i] : bf16_bits_to_float(b.b16[i]);
}

inline std::string status_text(reweigh_status_t st) {
    return std::string(reweigh_status_string(st)) + ": " + reweigh_last_error();
}

/* ---- comparison ---- */

/* float32 unit roundoff. */
constexpr double kU = 5.9604644775390625e-08;

/*
 * Tolerance of one row's lse / logp / entropy / loss against float64.
 * Sources, each bounded per element: the fp32 transform z' (1 ulp of |z'|),
 * exp and log (a few ulp each: 32 ulp of the row's magnitude in all), and
 * the fp32 sum of V positive terms, whose rounding errors of random sign
 * make a random walk of rms u sqrt(V / 3) (we allow u sqrt(V), about 1.7
 * rms; the vector kernels sum in 16-32 independent lanes and do better, the
 * scalar kernel sums sequentially). The reference test prints the observed
 * worst error / tolerance ratio per ISA so a reader sees how tight this is.
 * z-loss multiplies the lse error by 2 lambda |lse|; label smoothing adds the
 * fp32 sum of V values of size |z'|.
 */
inline double row_tolerance(const RowRef& r, int64_t vocab, const reweigh_ce_options_t& o) {
    const double mag = 1.0 + r.max_abs_zp + fabs(r.lse);
    double tol = kU * mag * (32.0 + sqrt(static_cast<double>(vocab)));
    tol *= 1.0 + 2.0 * static_cast<double>(o.z_loss) * fabs(r.lse);
    return tol;
}

/* Running record of the worst error / tolerance ratio, so a reader sees how tight the bounds are. */
struct Worst {
    double ratio = 0;
    std::string where;
    /* `what` and `index` form the label only when a new worst is seen (this runs per element). */
    void note(double err, double tol, const std::string& what, size_t index) {
        if (tol > 0 && err > ratio * tol) {
            ratio = err / tol;
            where = what + "[" + std::to_string(index) + "]";
        }
    }
};

/*
 * Compares got[i] with want[i] under tol[i]; on failure reports the mismatch
 * count, the first few indices, and NaN / inf mismatches separately.
 */
inline ::testing::AssertionResult all_close(const std::string& what, const std::vector<double>& got,
                                            const std::vector<double>& want, const std::vector<double>& tol,
                                            Worst* worst = nullptr) {
    size_t bad = 0, nan_bad = 0, inf_bad = 0;
    std::ostringstream first;
    for (size_t i = 0; i < want.size(); ++i) {
        const double g = got[i], w = want[i];
        bool ok;
        if (isnan(w) || isnan(g)) {
            ok = isnan(w) && isnan(g);
            if (!ok) ++nan_bad;
        } else if (isinf(w) || isinf(g)) {
            ok = g == w;
            if (!ok) ++inf_bad;
        } else {
            const double err = fabs(g - w);
            ok = err <= tol[i];
            if (worst != nullptr) worst->note(err, tol[i], what, i);
        }
        if (!ok) {
            if (bad < 5) first << "\n  [" << i << "] got " << g << " want " << w << " tol " << tol[i];
            ++bad;
        }
    }
    if (bad == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << what << ": " << bad << " of " << want.size() << " mismatched (" << nan_bad
                                         << " NaN, " << inf_bad << " inf)" << first.str();
}

/* ---- tolerances and comparisons against the reference ---- */

struct Tolerances {
    std::vector<double> row;      /* per row, counted rows only meaningful */
    std::vector<double> loss, sum_rows, max_row;
};

inline Tolerances tolerances(const Problem& p, const Reference& ref) {
    Tolerances t;
    t.row.assign(static_cast<size_t>(p.rows), 0);
    for (int64_t r = 0; r < p.rows; ++r)
        if (ref.rows[r].counted) t.row[r] = row_tolerance(ref.rows[r], p.vocab, p.options);
    for (int64_t s = 0; s < p.samples(); ++s) {
        double sum = 0, mx = 0;
        for (int64_t r = p.offsets[s]; r < p.offsets[s + 1]; ++r) {
            sum += t.row[r];
            mx = std::max(mx, t.row[r]);
        }
        t.sum_rows.push_back(sum);
        t.max_row.push_back(mx);
        // MEAN averages the row errors (bounded by the largest); SUM adds them.
        t.loss.push_back(p.options.token_reduction == REWEIGH_TOKEN_REDUCTION_MEAN ? mx : sum);
    }
    return t;
}

/* Stored fp32 results carry one more rounding of the value itself. */
inline double stored(double tol, double want) { return tol + kU * fabs(want); }

inline void compare_stats(const std::string& tag, const Problem& p, const Reference& ref, const Tolerances& t,
                   const Stats& st, bool per_row, Worst& worst) {
    std::vector<double> got, want, tol;
    for (int64_t s = 0; s < p.samples(); ++s) EXPECT_EQ(st.token_count[s], ref.token_count[s]) << tag << " sample " << s;
    auto check = [&](const char* what, const std::vector<float>& g, const std::vector<double>& w,
                     const std::vector<double>& tl) {
        got.assign(g.begin(), g.end());
        tol.clear();
        for (size_t i = 0; i < w.size(); ++i) tol.push_back(stored(tl[i], w[i]));
        EXPECT_TRUE(all_close(tag + " " + what, got, w, tol, &worst));
    };
    check("loss", st.loss, ref.loss, t.loss);
    check("logProbSum", st.log_prob_sum, ref.log_prob_sum, t.sum_rows);
    check("meanEntropy", st.mean_entropy, ref.mean_entropy, t.max_row);
    if (!per_row) return;
    std::vector<double> lse, logp, ent;
    for (const RowRef& r : ref.rows) {
        lse.push_back(r.lse);
        logp.push_back(r.logp);
        ent.push_back(r.entropy);
    }
    check("rowLse", st.row_lse, lse, t.row);
    check("rowLogp", st.row_logp, logp, t.row);
    check("rowEntropy", st.row_entropy, ent, t.row);
}

/*
 * Gradient tolerance of element (r, v), relative to its own p_v rather than to
 * the row's scale k. The kernel's bracket is a p_v - b - [v == y](1 - eps)
 * with a = 1 + 2 lambda lse, b = eps / V, p_v = exp(z'_v - lse):
 *   - p_v inherits the row's lse error and the rounding of z'_v and of exp
 *     as a relative error: a p_v (t.row + 8u (1 + |z'_v|));
 *   - each of the three terms and their difference rounds once more:
 *     8u (a p_v + b + [v == y]);
 *   - dz'/dz = scale (exact) or scale (1 - t^2) under softcap, whose fp32
 *     tanh and square add 8u scale to the derivative;
 *   - the stored value rounds once (4u |g|); bf16 output rounds to 8
 *     significant bits (relative error <= 2^-8);
 *   - p_v below FLT_MIN (2^-126) is subnormal or flushed to 0 in fp32:
 *     an absolute floor of 2^-120 a covers it.
 * With p_v ~ 1/V at V = 32000 an element is held to about 1e-4 of its own
 * size, where a bound in units of k alone (k (t.row + 8u)) would let an
 * error of several times p_v pass. The bound never exceeds that row-scale
 * bound k dz'/dz (a t.row + 8u (a + 1)) + 4u |g|: nothing is widened.
 */
inline std::vector<double> grad_tolerance(const Problem& p, const Reference& ref, const Tolerances& t, bool bf16) {
    std::vector<double> tol(ref.grad.size(), 0.0);
    const reweigh_ce_options_t& o = p.options;
    const double scale = o.logit_scale;
    const double b = static_cast<double>(o.label_smoothing) / static_cast<double>(p.vocab);
    for (int64_t r = 0; r < p.rows; ++r) {
        if (!ref.rows[r].counted) continue;
        const double lse = ref.rows[r].lse;
        const double a = fabs(1 + 2 * static_cast<double>(o.z_loss) * lse);
        const double k = fabs(ref.row_k[r]);
        for (int64_t v = 0; v < p.vocab; ++v) {
            const size_t i = static_cast<size_t>(r * p.vocab + v);
            const double z = p.logits[i];
            const double zp = transform(z, o);
            const double prob = zp == -INFINITY ? 0.0 : exp(zp - lse);
            const double target = v == p.targets[r] ? 1.0 : 0.0;
            const double bracket = fabs(a * prob - b - target * (1 - static_cast<double>(o.label_smoothing)));
            const double dzdz = fabs(transform_derivative(z, o));
            const double dzdz_err = o.softcap > 0.0f ? 8 * kU * scale : 0.0;
            const double zp_mag = zp == -INFINITY ? 0.0 : fabs(zp);
            const double p_err = a * prob * (t.row[r] + 8 * kU * (1 + zp_mag)) + 8 * kU * (a * prob + b + target) +
                                 a * 0x1p-120;
            const double g = fabs(ref.grad[i]);
            double e = k * (dzdz * p_err + bracket * dzdz_err) + 4 * kU * g;
            const double row_scale = k * scale * (a * t.row[r] + 8 * kU * (a + 1)) + 4 * kU * g;
            e = std::min(e, row_scale);
            if (bf16) e += (g + e) * (1.0 / 256.0);
            tol[i] = e;
        }
    }
    return tol;
}

inline std::vector<double> read_grad(const Grad& g) {
    std::vector<double> out;
    for (int64_t r = 0; r < g.rows; ++r)
        for (int64_t v = 0; v < g.vocab; ++v) out.push_back(g.at(r, v));
    return out;
}

inline std::vector<double> read_in_place(const Buffers& b, int64_t rows, int64_t vocab) {
    std::vector<double> out;
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t v = 0; v < vocab; ++v) out.push_back(read_elem(b, r, v));
    return out;
}

/* A CPU batch over logits with row stride = vocab. */
inline reweigh_ce_batch_t dense_batch(const void* logits, int32_t logits_dtype, int64_t rows, int64_t vocab,
                                      const void* targets, int32_t targets_dtype, const void* offsets,
                                      int32_t offsets_dtype, int64_t samples) {
    return reweigh_test::batch_of(logits, logits_dtype, targets, targets_dtype, offsets, offsets_dtype, rows, vocab,
                                  vocab, samples, REWEIGH_DEVICE_CPU);
}

/* One forwardBackward of `p` with the gradient out of place: the buffers, outputs and status. */
struct FwdBwd {
    Buffers b;
    Grad g;
    Stats st;
    double total = 0;
    reweigh_status_t status;

    explicit FwdBwd(const Problem& p, const Layout& layout = Layout{})
        : b(p, layout),
          g(layout.logits_dtype, p.rows, p.vocab, 0),
          st(p.samples(), p.rows),
          status(reweigh_ce_forward_backward(&b.batch, &p.options, b.coefficients.data(), &st.view, &g.view, &total)) {}
};

/*
 * forwardBackward of `p` on the active ISA, then backward from its lse, both checked against the
 * float64 reference with the standard tolerances.
 */
inline void check_fwd_bwd(const std::string& tag, const Problem& p, const Layout& layout, Worst* worst = nullptr) {
    const Reference ref = reference(p, true);
    const Tolerances t = tolerances(p, ref);
    const std::vector<double> gtol = grad_tolerance(p, ref, t, layout.logits_dtype == REWEIGH_DTYPE_BF16);
    FwdBwd run(p, layout);
    ASSERT_EQ(run.status, REWEIGH_STATUS_OK) << tag << " " << reweigh_last_error();
    Worst local;
    compare_stats(tag, p, ref, t, run.st, true, worst ? *worst : local);
    EXPECT_TRUE(all_close(tag + " grad", read_grad(run.g), ref.grad, gtol, worst));
    Grad gb(layout.logits_dtype, p.rows, p.vocab, 0);
    ASSERT_EQ(reweigh_ce_backward(&run.b.batch, &p.options, run.st.row_lse.data(), run.b.coefficients.data(), &gb.view),
              REWEIGH_STATUS_OK)
        << tag << " " << reweigh_last_error();
    EXPECT_TRUE(all_close(tag + " grad(bwd)", read_grad(gb), ref.grad, gtol, worst));
}

/* Bitwise equality of two result vectors; reports the count and the first differing index. */
template <class T>
::testing::AssertionResult bit_equal(const std::string& what, const std::vector<T>& a, const std::vector<T>& b) {
    if (a.size() != b.size())
        return ::testing::AssertionFailure() << what << ": sizes " << a.size() << " vs " << b.size();
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        if (memcmp(&a[i], &b[i], sizeof(T)) != 0) {
            if (bad++ == 0) first = i;
        }
    }
    if (bad == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << what << ": " << bad << " of " << a.size() << " differ, first at [" << first
                                         << "]: " << a[first] << " vs " << b[first];
}

}  // namespace reftest

#endif
