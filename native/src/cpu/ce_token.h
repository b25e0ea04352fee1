/*
 * ce_token.h: the CPU backend of reweigh_ce_backward_rows (per-row loss and
 * entropy coefficients, reweigh.h). Called by src/api after the metadata
 * checks of api/validate.h; validates CPU-resident content itself (labels.h)
 * before writing anything.
 */
#ifndef REWEIGH_CPU_CE_TOKEN_H
#define REWEIGH_CPU_CE_TOKEN_H

#include <stdint.h>

#include <vector>

#include "../common/ce_row.h"
#include "labels.h"
#include "reweigh/reweigh.h"

namespace reweigh {
namespace cpu {

/* row_entropy and row_entropy_weights may be NULL together (no entropy term). */
void ce_backward_rows(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options, const RowParams& params,
                      const float* row_lse, const float* row_entropy, const float* coefficients,
                      const float* row_weights, const float* row_entropy_weights, const reweigh_ce_grad_t& grad);

/* A [rows] input read once (labels.h): finite on counted rows, 0 on ignored rows (never read there). */
std::vector<float> copy_row_values(const Labels& labels, const float* values, const char* name);

/* options.check_finite: the first NaN or +inf logit of a counted row, in row-major order, before any write. */
void check_finite_logits(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options, const Labels& labels);

/* fn(ctx, begin, end) over [0, rows): inline for small batches, else in chunks on the pool (thread_pool.h). */
void run_token_rows(int64_t rows, int64_t vocab, void (*fn)(void*, int64_t, int64_t), void* ctx);

}  // namespace cpu
}  // namespace reweigh

#endif
