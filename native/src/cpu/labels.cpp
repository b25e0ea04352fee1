#include "labels.h"

#include <math.h>

#include "../common/enum_names.h"
#include "../common/errors.h"
#include "../common/sample_math.h"

namespace reweigh {
namespace cpu {
namespace {

int64_t read_index(const void* data, int32_t dtype, int64_t i) {
    return dtype == REWEIGH_DTYPE_I32 ? static_cast<const int32_t*>(data)[i] : static_cast<const int64_t*>(data)[i];
}

}  // namespace

Labels copy_labels(const reweigh_ce_batch_t& b, const reweigh_ce_options_t& o) {
    Labels l;
    l.offsets.resize(static_cast<size_t>(b.samples) + 1);
    for (int64_t i = 0; i <= b.samples; ++i) l.offsets[static_cast<size_t>(i)] = read_index(b.offsets, b.offsets_dtype, i);
    REWEIGH_CHECK_ARG(l.offsets[0] == 0, "offsets[0] = %lld must be 0", static_cast<long long>(l.offsets[0]));
    const int64_t last = l.offsets[static_cast<size_t>(b.samples)];
    REWEIGH_CHECK_ARG(last == b.rows, "offsets[%lld] = %lld must equal rows = %lld",
                      static_cast<long long>(b.samples), static_cast<long long>(last), static_cast<long long>(b.rows));
    l.targets.resize(static_cast<size_t>(b.rows));
    l.counts.assign(static_cast<size_t>(b.samples), 0);
    l.row_sample.resize(static_cast<size_t>(b.rows));
    int64_t prev = 0;
    for (int64_t s = 0; s < b.samples; ++s) {
        const int64_t end = l.offsets[static_cast<size_t>(s) + 1];
        REWEIGH_CHECK_ARG(end >= prev && end <= b.rows,
                          "offsets[%lld] = %lld must be nondecreasing and <= rows = %lld (offsets[%lld] = %lld)",
                          static_cast<long long>(s + 1), static_cast<long long>(end), static_cast<long long>(b.rows),
                          static_cast<long long>(s), static_cast<long long>(prev));
        int64_t n = 0;
        for (int64_t r = prev; r < end; ++r) {
            const int64_t y = read_index(b.targets, b.targets_dtype, r);
            l.row_sample[static_cast<size_t>(r)] = s;
            if (y == o.ignore_index) {
                l.targets[static_cast<size_t>(r)] = kIgnoredRow;
                continue;
            }
            REWEIGH_CHECK_ARG(y >= 0 && y < b.vocab,
                              "targets[%lld] = %lld is outside [0, vocab = %lld) and is not ignoreIndex (%lld)",
                              static_cast<long long>(r), static_cast<long long>(y), static_cast<long long>(b.vocab),
                              static_cast<long long>(o.ignore_index));
            l.targets[static_cast<size_t>(r)] = static_cast<int32_t>(y);
            ++n;
        }
        l.counts[static_cast<size_t>(s)] = n;
        prev = end;
    }
    return l;
}

std::vector<float> copy_coefficients(const reweigh_ce_options_t& o, const float* coefficients, int64_t samples) {
    std::vector<float> c(coefficients, coefficients + samples);
    for (int64_t s = 0; s < samples; ++s) {
        const float v = c[static_cast<size_t>(s)];
        REWEIGH_CHECK_ARG(isfinite(v), "coefficients[%lld] = %g is not finite", static_cast<long long>(s),
                          static_cast<double>(v));
        REWEIGH_CHECK_ARG(!(v < 0.0f && o.normalization == REWEIGH_NORMALIZATION_WEIGHT_SUM),
                          "coefficients[%lld] = %g is negative under normalization WEIGHT_SUM, whose D = sum of "
                          "coefficients is ill-defined for signed weights: use normalization NONE or an explicit "
                          "normalizer (e.g. for DPO)",
                          static_cast<long long>(s), static_cast<double>(v));
    }
    return c;
}

std::vector<float> copy_row_lse(const Labels& l, const float* row_lse) {
    std::vector<float> lse(l.targets.size(), 0.0f);
    for (size_t r = 0; r < lse.size(); ++r) {
        if (l.targets[r] == kIgnoredRow) continue;
        lse[r] = row_lse[r];
        // lse must be finite on counted rows, or every gradient of the row is NaN.
        REWEIGH_CHECK_ARG(isfinite(lse[r]), "rowLse[%lld] = %g is not finite", static_cast<long long>(r),
                          static_cast<double>(lse[r]));
    }
    return lse;
}

double normalizer(const reweigh_ce_options_t& o, const Labels& l, const std::vector<float>& coefficients) {
    double weight_sum = 0.0, tokens = 0.0, with_tokens = 0.0;
    for (size_t s = 0; s < l.counts.size(); ++s) {
        if (l.counts[s] == 0) continue;
        weight_sum += coefficients.empty() ? 1.0 : static_cast<double>(coefficients[s]);
        tokens += static_cast<double>(l.counts[s]);
        with_tokens += 1.0;
    }
    const double d = normalizer_of(o.normalization, o.normalizer, weight_sum, tokens, with_tokens);
    REWEIGH_CHECK_ARG(isfinite(d), "normalizer D = %g under normalization %s must be finite", d,
                      normalization_name(o.normalization));
    return d;
}

std::vector<float> sample_scales(const reweigh_ce_options_t& o, const Labels& l, const std::vector<float>& coefficients,
                                 double d) {
    std::vector<float> k(l.counts.size(), 0.0f);
    for (size_t s = 0; s < k.size(); ++s) k[s] = sample_scale(coefficients[s], d, l.counts[s], o.token_reduction, o.grad_scale);
    return k;
}

}  // namespace cpu
}  // namespace reweigh
