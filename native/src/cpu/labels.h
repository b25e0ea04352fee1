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

}  // namespace cpu
}  // namespace reweigh

#endif
