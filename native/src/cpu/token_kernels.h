/*
 * token_kernels.h: the row kernels of reweigh_ce_backward_rows and of the
 * one-pass policy step per instruction set. ce_token.cpp picks the one matching isa.h's active variant, so
 * reweigh_set_cpu_isa selects it exactly as it selects the per-sample kernels.
 */
#ifndef REWEIGH_CPU_TOKEN_KERNELS_H
#define REWEIGH_CPU_TOKEN_KERNELS_H

#include <stdint.h>

#include "../common/ce_row.h"
#include "../common/token_row.h"
#include "ce_kernels.h"
#include "l2_budget.h"

namespace reweigh {
namespace cpu {

/* Gradient of one counted row (target y) into g, which may be z itself; hints as ce_kernels.h's. */
typedef void (*TokenRowFn)(const void* z, int32_t dtype, int64_t vocab, int64_t y, const RowParams& p,
                           const GradEpilogue& e, const EntropyEpilogue& h, void* g, const RowHints& hints);

TokenRowFn token_row_avx2();
TokenRowFn token_row_avx512();
/* The row kernel of the active ISA (isa.h): the same variant the per-sample kernels use. */
TokenRowFn active_token_row();

/*
 * A row coefficient that depends on the row's own statistics (the one-pass
 * policy step, ce_policy.cpp): of(ctx, row, statistics) returns the gradient
 * coefficient k of the row, and may record what it computed for that row.
 */
struct RowCoefficient {
    float (*of)(void* ctx, int64_t row, const RowResult& stats);
    void* ctx;
    int64_t row;
};

/*
 * Statistics of one counted row and its gradient with coefficient c.of(stats)
 * and entropy coefficient kb (0: none), in one read of the row (token_simd.h):
 * g may be z. scratch: at least 2 * vocab floats. NULL for the scalar variant.
 */
typedef RowResult (*CoefficientRowFn)(const void* z, int32_t dtype, int64_t vocab, int64_t y, const RowParams& p,
                                      const RowCoefficient& c, float kb, void* g, float* scratch,
                                      const RowHints& hints);

CoefficientRowFn coefficient_row_avx2();
CoefficientRowFn coefficient_row_avx512();
/* The active ISA's, or NULL when that is the scalar variant. */
CoefficientRowFn active_coefficient_row();

}  // namespace cpu
}  // namespace reweigh

#endif
