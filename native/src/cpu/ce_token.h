/*
 * ce_token.h: the CPU backend of reweigh_ce_backward_rows (per-row loss and
 * entropy coefficients, reweigh.h). Called by src/api after the metadata
 * checks of api/validate.h; validates CPU-resident content itself (labels.h)
 * before writing anything.
 */
#ifndef REWEIGH_CPU_CE_TOKEN_H
#define REWEIGH_CPU_CE_TOKEN_H

#include "../common/ce_row.h"
#include "reweigh/reweigh.h"

namespace reweigh {
namespace cpu {

/* row_entropy and row_entropy_weights may be NULL together (no entropy term). */
void ce_backward_rows(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options, const RowParams& params,
                      const float* row_lse, const float* row_entropy, const float* coefficients,
                      const float* row_weights, const float* row_entropy_weights, const reweigh_ce_grad_t& grad);

}  // namespace cpu
}  // namespace reweigh

#endif
