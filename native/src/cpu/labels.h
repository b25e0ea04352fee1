/*
 * labels.h: the CPU backend's private, validated copy of a batch's labels
 * and per-sample inputs.
 *
 * Targets, offsets, coefficients and row lse are read from caller memory
 * exactly once, checked, and copied; every later step (row kernels, the
 * row -> sample map, the per-sample sums) addresses memory only through the
 * copy. Caller memory may change during the call (another Java thread writing
 * a pinned array, or an output buffer that overlaps an input): the call then
 * computes the result of the input it validated, never an out-of-range index.
 */
#ifndef REWEIGH_CPU_LABELS_H
#define REWEIGH_CPU_LABELS_H

#include <stdint.h>

#include <vector>

#include "reweigh/reweigh.h"

namespace reweigh {
namespace cpu {

/* Marks an ignored row in Labels::targets (every counted target is >= 0). */
constexpr int32_t kIgnoredRow = -1;

struct Labels {
    std::vector<int64_t> offsets;   /* [samples + 1], validated: 0 = o_0 <= o_1 <= ... = rows */
    std::vector<int32_t> targets;   /* [rows], each in [0, vocab) or kIgnoredRow */
    std::vector<int64_t> counts;    /* [samples], counted rows per sample */
    std::vector<int64_t> row_sample; /* [rows], the sample owning each row */
};

/* Reads, checks and copies targets and offsets (vocab <= 2^31 - 1, so a target fits int32). */
Labels copy_labels(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options);

/* Reads and copies coefficients [samples], each finite; under WEIGHT_SUM each >= 0. */
std::vector<float> copy_coefficients(const reweigh_ce_options_t& options, const float* coefficients,
                                     int64_t samples);

/* Reads and copies row lse [rows], finite on counted rows (0 on ignored rows, never read there). */
std::vector<float> copy_row_lse(const Labels& labels, const float* row_lse);

/* D (common/sample_math.h) of validated labels and coefficients; IAE when it is not finite. */
double normalizer(const reweigh_ce_options_t& options, const Labels& labels, const std::vector<float>& coefficients);

/* k_s for every sample (common/sample_math.h). */
std::vector<float> sample_scales(const reweigh_ce_options_t& options, const Labels& labels,
                                 const std::vector<float>& coefficients, double d);

/* Row sums of one sample, in float64. */
struct SampleSums {
    double loss = 0.0;
    double logp = 0.0;
    double entropy = 0.0;
};

/*
 * The per-sample statistics of docs/design.md §3.1, serially in row order (results do not depend on the
 * thread count): add_row(r, sums) adds row r of the sample to its sums, for every row of every sample in
 * order; loss_s is then divided by count_s under MEAN, the entropy always (a mean over counted rows), and
 * the statistics asked for are stored (stats may be NULL, each of its per-sample pointers too).
 * Returns sum_s c_s loss_s over samples with counted rows (unnormalised), or 0 without coefficients.
 */
template <class AddRow>
double reduce_samples_of(const reweigh_ce_options_t& o, const Labels& l, const float* coefficients,
                         const reweigh_ce_stats_t* stats, AddRow add_row) {
    double weighted = 0.0;
    const int64_t samples = static_cast<int64_t>(l.counts.size());
    for (int64_t s = 0; s < samples; ++s) {
        const int64_t lo = l.offsets[static_cast<size_t>(s)];
        const int64_t hi = l.offsets[static_cast<size_t>(s) + 1];
        SampleSums sum;
        for (int64_t r = lo; r < hi; ++r) add_row(r, sum);
        const int64_t n = l.counts[static_cast<size_t>(s)];
        if (n > 0) {
            if (o.token_reduction == REWEIGH_TOKEN_REDUCTION_MEAN) sum.loss /= static_cast<double>(n);
            sum.entropy /= static_cast<double>(n);
        }
        if (coefficients != nullptr && n > 0) weighted += static_cast<double>(coefficients[s]) * sum.loss;
        if (stats != nullptr) {
            if (stats->loss) stats->loss[s] = static_cast<float>(sum.loss);
            if (stats->log_prob_sum) stats->log_prob_sum[s] = static_cast<float>(sum.logp);
            if (stats->token_count) stats->token_count[s] = n;
            if (stats->mean_entropy) stats->mean_entropy[s] = static_cast<float>(sum.entropy);
        }
    }
    return weighted;
}

}  // namespace cpu
}  // namespace reweigh

#endif
