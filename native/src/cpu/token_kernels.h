/*
 * token_kernels.h: the row kernel of reweigh_ce_backward_rows per instruction
 * set. ce_token.cpp picks the one matching isa.h's active variant, so
 * reweigh_set_cpu_isa selects it exactly as it selects the per-sample kernels.
 */
#ifndef REWEIGH_CPU_TOKEN_KERNELS_H
#define REWEIGH_CPU_TOKEN_KERNELS_H

#include <stdint.h>

#include "../common/ce_row.h"
#include "../common/token_row.h"

namespace reweigh {
namespace cpu {

/* Gradient of one counted row (target y) into g, which may be z itself. */
typedef void (*TokenRowFn)(const void* z, int32_t dtype, int64_t vocab, int64_t y, const RowParams& p,
                           const GradEpilogue& e, const EntropyEpilogue& h, void* g);

TokenRowFn token_row_avx2();
TokenRowFn token_row_avx512();

}  // namespace cpu
}  // namespace reweigh

#endif
