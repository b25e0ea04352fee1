/*
 * ce_policy.h: the CPU backend of reweigh_policy_forward_backward (the
 * one-pass policy-gradient step, reweigh.h). Called by src/api after the
 * metadata checks; validates CPU-resident content itself before writing.
 */
#ifndef REWEIGH_CPU_CE_POLICY_H
#define REWEIGH_CPU_CE_POLICY_H

#include "../common/ce_row.h"
#include "reweigh/reweigh.h"

namespace reweigh {
namespace cpu {

void policy_forward_backward(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options,
                             const RowParams& params, const reweigh_policy_options_t& policy,
                             const reweigh_policy_rows_t& rows, const reweigh_policy_result_t& result,
                             const reweigh_ce_grad_t& grad);

}  // namespace cpu
}  // namespace reweigh

#endif
