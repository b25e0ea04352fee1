/*
 * ce_sharded.h: the CPU driver of vocabulary-sharded partials (reweigh.h,
 * "vocabulary-sharded partials"; the row math is ../common/ce_partial.h).
 * Called by src/api after the metadata checks; each function validates the
 * CPU-resident content it reads (labels, coefficients, combined rows) before
 * writing anything.
 */
#ifndef REWEIGH_CPU_CE_SHARDED_H
#define REWEIGH_CPU_CE_SHARDED_H

#include <stdint.h>

#include "../common/ce_row.h"
#include "reweigh/reweigh.h"

namespace reweigh {
namespace cpu {

/* Where a shard sits in the vocabulary. */
struct ShardSpan {
    int64_t offset; /* first vocabulary index of the shard */
    int64_t total;  /* the whole vocabulary */
};

void ce_partial_forward(const reweigh_ce_batch_t& shard, ShardSpan span, const reweigh_ce_options_t& options,
                        const RowParams& params, const reweigh_ce_partials_t& out);

void ce_partials_merge(int64_t rows, const reweigh_ce_partials_t& from, const reweigh_ce_partials_t& into);

void ce_partials_rebase(int64_t rows, const float* global_max, const reweigh_ce_partials_t& partials);

/* Returns sum_s c_s loss_s / D when coefficients are given, else 0. stats may be NULL. */
double ce_sharded_stats(const reweigh_ce_batch_t& shard, ShardSpan span, const reweigh_ce_options_t& options,
                        const RowParams& params, const reweigh_ce_partials_t& combined, const float* coefficients,
                        const reweigh_ce_stats_t* stats);

void ce_sharded_backward(const reweigh_ce_batch_t& shard, ShardSpan span, const reweigh_ce_options_t& options,
                         const RowParams& params, const reweigh_ce_partials_t& combined, const float* coefficients,
                         const reweigh_ce_grad_t& grad);

/* The batch's own D (0 allowed: an empty micro-batch contributes nothing to a global sum). */
double ce_local_normalizer(const reweigh_ce_batch_t& batch, ShardSpan span, const reweigh_ce_options_t& options,
                           const float* coefficients);

}  // namespace cpu
}  // namespace reweigh

#endif
