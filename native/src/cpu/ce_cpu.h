/*
 * ce_cpu.h: the CPU backend entry points called by src/api after the
 * metadata checks of api/validate.h. They validate CPU-resident content
 * themselves (labels.h), before writing anything.
 */
#ifndef REWEIGH_CPU_CE_CPU_H
#define REWEIGH_CPU_CE_CPU_H

#include "../common/ce_row.h"
#include "reweigh/reweigh.h"

namespace reweigh {
namespace cpu {

void ce_forward(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options, const RowParams& params,
                const reweigh_ce_stats_t& stats);

void ce_backward(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options, const RowParams& params,
                 const float* row_lse, const float* coefficients, const reweigh_ce_grad_t& grad);

/* Returns total = sum_s c_s loss_s / D (0 for D = 0). stats may be NULL. */
double ce_forward_backward(const reweigh_ce_batch_t& batch, const reweigh_ce_options_t& options,
                           const RowParams& params, const float* coefficients, const reweigh_ce_stats_t* stats,
                           const reweigh_ce_grad_t& grad);

/* This thread's fp32 scratch of the row kernels, grown to at least `floats` floats and kept for
   the thread's lifetime (shared by the fused and the sharded drivers); NULL when out of memory. */
float* thread_scratch(int64_t floats);

}  // namespace cpu
}  // namespace reweigh

#endif
