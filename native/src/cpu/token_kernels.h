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

/*
 * Rows whose logits, kept exponentials (fp32) and the next row's logits
 * (prefetched into L2 by passes 1 and 2, ce_simd.h [Note: prefetching the
 * next row]) exceed `bound` bytes recompute p in the gradient pass instead of
 * keeping e (token_simd.h's coefficient_row with an entropy term; the fused
 * rows of forwardBackward and of the policy step through RowCarry.recompute_p,
 * ce_simd.h [Note: rows too long to keep e]): the
 * gradient pass re-reads the logits, and with all three past half the
 * per-core L2 part of them was evicted by then (2 MiB L2, 1024 x 128256 fp32,
 * 1.5 MiB per row: the entropy term cost 1.05x to 1.13x the step without it
 * with kept exponentials, 0.96x to 1.06x recomputed, paired; bf16 rows of
 * 128256, 1.0 MiB, and fp32 rows of 32000 are faster kept).
 */
static inline bool keeps_exponentials(int32_t dtype, int64_t vocab, int64_t bound) {
    const int64_t es = dtype == REWEIGH_DTYPE_F32 ? 4 : 2;
    return 2 * vocab * es + vocab * int64_t{sizeof(float)} <= bound;
}

/* The per-core L2 assumed when the machine does not report one. */
constexpr int64_t kFallbackL2Bytes = int64_t{2} << 20;

/* keeps_exponentials' bound for a per-core L2 of l2_bytes (<= 0: not reported, kFallbackL2Bytes). */
static inline int64_t kept_exponentials_bound(int64_t l2_bytes) {
    return (l2_bytes > 0 ? l2_bytes : kFallbackL2Bytes) / 2;
}

/*
 * The size of one cache from the registers of a cpuid leaf 4 subleaf
 * (Intel SDM vol. 2A, CPUID leaf 04H): ways x partitions x line bytes x sets,
 * each field stored minus one.
 */
static inline int64_t cache_bytes_from_leaf4(uint32_t ebx, uint32_t ecx) {
    const int64_t ways = (ebx >> 22) + 1, partitions = ((ebx >> 12) & 0x3ff) + 1, line = (ebx & 0xfff) + 1;
    return ways * partitions * line * (int64_t{ecx} + 1);
}

/* This machine's per-core L2 in bytes (sysconf, then cpuid leaf 4), or 0 when neither reports it. */
int64_t machine_l2_bytes();

/* kept_exponentials_bound(machine_l2_bytes()), computed once. */
int64_t kept_exponentials_bytes();

CoefficientRowFn coefficient_row_avx2();
CoefficientRowFn coefficient_row_avx512();
/* The active ISA's, or NULL when that is the scalar variant. */
CoefficientRowFn active_coefficient_row();

}  // namespace cpu
}  // namespace reweigh

#endif
