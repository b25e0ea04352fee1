/*
 * l2_budget.h: which rows keep their exponentials next to the row in the
 * per-core L2 and which recompute p in the gradient pass. One decision per
 * call, from the row's dtype and vocabulary and this machine's L2, so every
 * row of a call takes the same path whatever the thread count.
 */
#ifndef REWEIGH_CPU_L2_BUDGET_H
#define REWEIGH_CPU_L2_BUDGET_H

#include <stdint.h>

#include "reweigh/reweigh.h" /* REWEIGH_DTYPE_* */

namespace reweigh {
namespace cpu {

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

/* keeps_exponentials on this machine (kept_exponentials_bytes()). */
bool row_keeps_exponentials(int32_t dtype, int64_t vocab);

}  // namespace cpu
}  // namespace reweigh

#endif
