/*
 * reference.h: a float64 reference of the fused cross-entropy, written from
 * docs/design.md §3 alone (it shares no code with native/src), for the
 * native GoogleTest suites.
 *
 * Per counted row, z'_v = softcap(scale * z_v) (softcap(x) = c tanh(x / c)):
 *   lse      = log sum_v exp(z'_v)
 *   logp     = z'_y - lse
 *   entropy  = lse - sum_v p_v z'_v
 *   rowLoss  = (1 - eps)(-logp) + eps (lse - mean_v z'_v) + lambda lse^2
 * The smoothing term is absent when eps == 0 (reweigh.h), so masked (-inf)
 * vocabularies stay finite.
 * Per sample: tokenCount, logProbSum, loss = sum rowLoss (SUM) or its mean
 * (MEAN; 0 tokens -> 0), meanEntropy. total = sum_s c_s loss_s / D.
 *
 * The gradient is derived here by hand, independently of ce_row.h:
 *   d total / d z'_v = (c_s / D) [MEAN: / n_s] *
 *                      ( p_v (1 + 2 lambda lse) - (1 - eps) [v == y] - eps / V )
 *   d z' / d z       = scale                       (no softcap)
 *                    = scale (1 - tanh^2(scale z / c))   (softcap c)
 * and test_ce_reference.cpp checks it against central finite differences of
 * total in float64, so a wrong formula here cannot hide behind a matching kernel.
 *
 * Entropy is computed as log d - sum_v e_v (z'_v - m) / d with e_v = exp(z'_v - m)
 * (m = max z'), which is exact algebra and does not cancel two 1e30-sized numbers.
 */
#ifndef REWEIGH_TESTS_REFERENCE_H
#define REWEIGH_TESTS_REFERENCE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <vector>

#include "reweigh/reweigh.h"

namespace reftest {

/* bf16 helpers, written independently of native/src/common/bf16.h. */
inline float bf16_bits_to_float(uint16_t h) {
    uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Round to nearest, ties to even; NaN stays NaN. */
inline uint16_t float_to_bf16_bits(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    if (isnan(f)) return static_cast<uint16_t>((bits >> 16) | 0x40u);
    const uint32_t lower = bits & 0xffffu;
    uint32_t upper = bits >> 16;
    if (lower > 0x8000u || (lower == 0x8000u && (upper & 1u) != 0)) ++upper;
    return static_cast<uint16_t>(upper);
}

/* One problem: dense [rows x vocab] logits (the tests add row strides themselves). */
struct Problem {
    int64_t rows = 0;
    int64_t vocab = 1;
    std::vector<double> logits;      /* rows * vocab */
    std::vector<int64_t> targets;    /* rows */
    std::vector<int64_t> offsets;    /* samples + 1 */
    std::vector<double> coefficients; /* samples */
    reweigh_ce_options_t options{};

    int64_t samples() const { return static_cast<int64_t>(offsets.size()) - 1; }
};

struct RowRef {
    bool counted = false;
    double lse = 0, logp = 0, entropy = 0, loss = 0;
    double max_abs_zp = 0; /* largest finite |z'| of the row: sets the tolerance */
};

struct Reference {
    std::vector<RowRef> rows;
    std::vector<double> loss, log_prob_sum, mean_entropy;
    std::vector<int64_t> token_count;
    int64_t counted_rows = 0;
    bool normalizer_valid = true; /* false: D is not finite */
    double d = 1;
    double total = 0;
    std::vector<double> grad;     /* rows * vocab; empty unless asked */
    std::vector<double> row_k;    /* per-row gradient scale c_s / D [/ n_s] */
};

inline double transform(double z, const reweigh_ce_options_t& o) {
    double x = z * static_cast<double>(o.logit_scale);
    if (o.softcap > 0.0f) {
        const double c = o.softcap;
        x = c * tanh(x / c);
    }
    return x;
}

inline double transform_derivative(double z, const reweigh_ce_options_t& o) {
    const double scale = o.logit_scale;
    if (o.softcap > 0.0f) {
        const double t = tanh(z * scale / static_cast<double>(o.softcap));
        return scale * (1.0 - t * t);
    }
    return scale;
}

inline RowRef reference_row(const double* z, int64_t vocab, int64_t y, const reweigh_ce_options_t& o) {
    RowRef r;
    r.counted = true;
    std::vector<double> zp(static_cast<size_t>(vocab));
    double m = -INFINITY, sum = 0;
    for (int64_t v = 0; v < vocab; ++v) {
        zp[v] = transform(z[v], o);
        if (zp[v] > m) m = zp[v];
        sum += zp[v];
        if (isfinite(zp[v]) && fabs(zp[v]) > r.max_abs_zp) r.max_abs_zp = fabs(zp[v]);
    }
    double d = 0, s = 0;
    for (int64_t v = 0; v < vocab; ++v) {
        if (zp[v] == -INFINITY) continue;
        const double e = exp(zp[v] - m);
        d += e;
        if (e > 0) s += e * (zp[v] - m);
    }
    r.lse = m + log(d);
    r.logp = zp[y] - r.lse;
    r.entropy = log(d) - s / d;
    const double eps = o.label_smoothing;
    double loss = -r.logp;
    if (eps > 0) loss = (1 - eps) * loss + eps * (r.lse - sum / static_cast<double>(vocab));
    loss += static_cast<double>(o.z_loss) * r.lse * r.lse;
    r.loss = loss;
    return r;
}

/*
 * d rowLoss / dz'_v of a counted row in float64, prob = p_v = exp(z'_v - lse):
 * (1 + 2 zloss lse) p_v - eps / V, less (1 - eps) at the target.
 */
inline double loss_slope(const reweigh_ce_options_t& o, const RowRef& row, double prob, bool target, int64_t vocab) {
    const double eps = o.label_smoothing;
    const double a = 1 + 2 * static_cast<double>(o.z_loss) * row.lse;
    double g = a * prob - eps / static_cast<double>(vocab);
    if (target) g -= 1 - eps;
    return g;
}

/* D of docs/design.md §3 (before the zero check). */
inline double normalizer(const Problem& p, const std::vector<int64_t>& counts) {
    double d = 0;
    switch (p.options.normalization) {
        case REWEIGH_NORMALIZATION_WEIGHT_SUM:
            for (int64_t s = 0; s < p.samples(); ++s)
                if (counts[s] > 0) d += p.coefficients[s];
            return d;
        case REWEIGH_NORMALIZATION_TOKENS:
            for (int64_t n : counts) d += static_cast<double>(n);
            return d;
        case REWEIGH_NORMALIZATION_SAMPLES:
            for (int64_t n : counts) d += n > 0 ? 1 : 0;
            return d;
        case REWEIGH_NORMALIZATION_NONE: return 1;
        default: return p.options.normalizer;
    }
}

/*
 * f(r, k_s) for every counted row r in row order, k_s of its sample s
 * (docs/design.md §3.1) in float64: c_s / D, over count_s under MEAN.
 * Needs ref.token_count and a nonzero ref.d.
 */
template <class F>
void for_counted_rows_k(const Problem& p, const Reference& ref, F f) {
    for (int64_t s = 0; s < p.samples(); ++s) {
        const int64_t n = ref.token_count[s];
        if (n == 0) continue;
        double k = p.coefficients[s] / ref.d;
        if (p.options.token_reduction == REWEIGH_TOKEN_REDUCTION_MEAN) k /= static_cast<double>(n);
        for (int64_t r = p.offsets[s]; r < p.offsets[s + 1]; ++r) {
            if (p.targets[r] != p.options.ignore_index) f(r, k);
        }
    }
}

/*
 * The whole reference. `logits` overrides p.logits (the finite-difference
 * check perturbs a copy). with_grad fills grad and row_k.
 */
inline Reference reference(const Problem& p, bool with_grad, const std::vector<double>* logits = nullptr) {
    const std::vector<double>& z = logits != nullptr ? *logits : p.logits;
    const reweigh_ce_options_t& o = p.options;
    Reference ref;
    ref.rows.resize(static_cast<size_t>(p.rows));
    const int64_t samples = p.samples();
    ref.loss.assign(samples, 0);
    ref.log_prob_sum.assign(samples, 0);
    ref.mean_entropy.assign(samples, 0);
    ref.token_count.assign(samples, 0);
    for (int64_t s = 0; s < samples; ++s) {
        double loss = 0, logp = 0, ent = 0;
        int64_t n = 0;
        for (int64_t r = p.offsets[s]; r < p.offsets[s + 1]; ++r) {
            if (p.targets[r] == o.ignore_index) continue;
            ref.rows[r] = reference_row(&z[r * p.vocab], p.vocab, p.targets[r], o);
            loss += ref.rows[r].loss;
            logp += ref.rows[r].logp;
            ent += ref.rows[r].entropy;
            ++n;
        }
        if (n > 0) {
            if (o.token_reduction == REWEIGH_TOKEN_REDUCTION_MEAN) loss /= static_cast<double>(n);
            ent /= static_cast<double>(n);
        }
        ref.loss[s] = loss;
        ref.log_prob_sum[s] = logp;
        ref.mean_entropy[s] = ent;
        ref.token_count[s] = n;
        ref.counted_rows += n;
    }
    if (p.coefficients.empty() && samples > 0) return ref;  // forward only
    ref.d = normalizer(p, ref.token_count);
    ref.normalizer_valid = isfinite(ref.d);
    if (!ref.normalizer_valid) return ref;
    if (with_grad) {
        ref.grad.assign(static_cast<size_t>(p.rows * p.vocab), 0.0);
        ref.row_k.assign(static_cast<size_t>(p.rows), 0.0);
    }
    // D = 0 (every row ignored, or every coefficient 0): total 0 and a zero gradient, by contract.
    if (ref.d == 0) return ref;
    double weighted = 0;
    for (int64_t s = 0; s < samples; ++s)
        if (ref.token_count[s] > 0) weighted += p.coefficients[s] * ref.loss[s];
    ref.total = weighted / ref.d;
    if (!with_grad) return ref;
    for_counted_rows_k(p, ref, [&](int64_t r, double k) {
        ref.row_k[r] = k;
        const RowRef& row = ref.rows[r];
        for (int64_t v = 0; v < p.vocab; ++v) {
            const double zv = z[r * p.vocab + v];
            const double zp = transform(zv, o);
            const double prob = zp == -INFINITY ? 0.0 : exp(zp - row.lse);
            const double g = loss_slope(o, row, prob, v == p.targets[r], p.vocab);
            ref.grad[r * p.vocab + v] = k * g * transform_derivative(zv, o);
        }
    });
    return ref;
}

}  // namespace reftest

#endif
