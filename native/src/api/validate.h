/*
 * validate.h: every check the entry points make before touching memory.
 *
 * Two layers: metadata checks (shapes, dtypes, options, pointer presence and
 * memory space) that hold for any device, and content checks of CPU-resident
 * labels and coefficients (offsets, targets, finite coefficients, the
 * normaliser). The CUDA path runs the content checks on the device.
 * Every message names the argument and, where there is one, the first bad
 * index, so the Java layer can pass it on verbatim.
 */
#ifndef REWEIGH_API_VALIDATE_H
#define REWEIGH_API_VALIDATE_H

#include <stdint.h>

#include <vector>

#include "../common/ce_row.h"
#include "reweigh/reweigh.h"

namespace reweigh {

/* Shapes, dtypes and pointer presence of a batch. */
void validate_batch(const reweigh_ce_batch_t* batch);
/* Ranges of every option; returns the row-math parameters. */
RowParams validate_options(const reweigh_ce_options_t* options);
/* Gradient buffer: presence, stride, and no partial overlap with the logits. */
void validate_grad(const reweigh_ce_batch_t& batch, const reweigh_ce_grad_t* grad);
/* Every non-null pointer lives in the batch's memory space (detectable only with CUDA). */
void validate_memory_space(const reweigh_ce_batch_t& batch, const void* ptr, const char* name);

/* Element counts of the per-row and per-sample buffers of one batch. */
inline int64_t offsets_length(const reweigh_ce_batch_t& batch) { return batch.samples + 1; }

/* ---- CPU-resident content ---- */

int64_t read_index(const void* data, int32_t dtype, int64_t i);

/*
 * Offsets well-formed and every target in [0, vocab) or ignore_index.
 * Returns the counted rows of each sample.
 */
std::vector<int64_t> validate_labels_cpu(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options);

/* Coefficients finite; returns D (checked finite and nonzero). */
double normalizer_cpu(const reweigh_ce_options_t& options, const std::vector<int64_t>& token_counts,
                      const float* coefficients);

/* Per-sample scale of dLoss_row: c_s / D, over token_count_s for MEAN (0 for empty samples). */
std::vector<float> sample_row_coefficients(const reweigh_ce_options_t& options,
                                           const std::vector<int64_t>& token_counts, const float* coefficients,
                                           double normalizer);

const char* dtype_name(int32_t dtype);
const char* normalization_name(int32_t normalization);

}  // namespace reweigh

#endif
