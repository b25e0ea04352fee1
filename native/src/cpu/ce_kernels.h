/*
 * ce_kernels.h: the per-row kernel table each CPU variant exports.
 *
 * One table per instruction set (scalar, avx2, avx512), each built in its own
 * translation unit with its own compiler flags (ATen's per-CPU_CAPABILITY
 * files, ggml's backend variants). Internals of those files sit in anonymous
 * namespaces so the per-ISA copies never merge at link time.
 *
 * A "row" is vocab logits of one dtype (F32 or BF16). `y` is the target index
 * (already validated to lie in [0, vocab)). Rows are only handed to the
 * kernels when counted; the driver zeroes ignored rows' gradients itself.
 */
#ifndef REWEIGH_CPU_CE_KERNELS_H
#define REWEIGH_CPU_CE_KERNELS_H

#include <stdint.h>

#include "../common/ce_row.h"
#include "reweigh/reweigh.h" /* REWEIGH_DTYPE_* */

namespace reweigh {
namespace cpu {

/*
 * A fused row's gradient not yet written ([Note: the gradient under the next
 * row's exp] in ce_simd.h) over e (memory order, the row's exp pass), then the
 * target element gy. g NULL: nothing pending. Two forms:
 *   kb = 0   g = a e - b (the fused row's pass 3);
 *   kb != 0  the entropy term's lanes of a row that kept its exponentials
 *            (token_simd.h): g = [(a e)(c0 - kb max(z' - lse, -100)) - b]
 *            dz'/dz, a = 1 / d, z' = scale z read from the row's logits z
 *            (intact until g is written, in place too), the elements past the
 *            last whole vector given in tail.
 */
struct PendingGrad {
    /* Elements of tail: at least the widest vector's lanes minus one. */
    static constexpr int kTail = 16;
    void* g = nullptr;
    const float* e = nullptr;
    int32_t dtype = 0;
    int64_t vocab = 0;
    int64_t y = 0;
    float a = 0.0f;
    float b = 0.0f;
    float gy = 0.0f;
    bool stream = false;
    bool nan_free = false;
    /* Writes the whole gradient and clears g (the kernel variant's own writer). */
    void (*flush)(PendingGrad&) = nullptr;
    float kb = 0.0f;
    const void* z = nullptr;
    float scale = 1.0f;
    float lse = 0.0f;
    float c0 = 0.0f;
    float tail[kTail] = {};
};

/*
 * The first pass (max, and sum for label smoothing) of the row a thread
 * handles next, computed by the SIMD kernels while they run the exp over the
 * current row ([Note: reading the next row under the exp] in ce_simd.h). z is
 * the row these belong to, or NULL; the values equal the kernel's own first
 * pass over that row bit for bit.
 */
struct RowCarry {
    const void* z = nullptr;
    float m = 0.0f;
    float sum = 0.0f;
    /*
     * Set by a driver that calls finish_rows(carry) after its last row: the
     * fused kernel may then leave a row's gradient pending and write it inside
     * the next row's exp pass.
     */
    bool defer_grad = false;
    PendingGrad pending;
    /*
     * Set by a driver whose rows, their exponentials and the next row do not
     * fit in half the per-core L2 (l2_budget.h keeps_exponentials): where
     * pass 2 prefetches the next row instead of reading it (fp32 on AVX-512),
     * the fused kernel then recomputes p = exp(z' - lse) in its gradient pass
     * instead of keeping e ([Note: rows too long to keep e] in ce_simd.h).
     * That rounds p differently from e / d, so a driver sets it for every row
     * of a call or for none.
     */
    bool recompute_p = false;
};

/* Writes the gradient a fused row left pending; call once the run's last row has returned. */
inline void finish_rows(RowCarry& carry) {
    if (carry.pending.g != nullptr) carry.pending.flush(carry.pending);
}

/*
 * Memory hints from the driver: performance only, results never depend on them
 * (the scalar variant ignores them).
 *   next_z  the row this thread handles next (same dtype and vocab), or NULL;
 *           the SIMD kernels read or prefetch it while they compute exp over
 *           the current row, so reading memory overlaps the arithmetic
 *           ([Note: prefetching the next row] in ce_simd.h).
 *   carry   NULL, or one RowCarry per thread that lives across the rows of one
 *           call with the same dtype, vocab and RowParams: the kernels then
 *           run next_z's first pass inside the current row's exp pass and
 *           store it there, and take a row's first pass from it when carry->z
 *           is that row. With carry->defer_grad set, forward_backward_row may
 *           return with its gradient pending in the carry, written during the
 *           next row's call or by finish_rows(*carry), which the driver calls
 *           after its last row.
 */
struct RowHints {
    const void* next_z;
    RowCarry* carry = nullptr;
};

/*
 * The hints of the row at z, row r of the chunk [begin, end) a thread runs:
 * the chunk's next row is the next one this thread reads (reading an ignored
 * row's logits is harmless: they lie inside the batch, and nothing uses the
 * result).
 */
static inline RowHints chunk_row_hints(const void* z, int64_t r, int64_t end, int64_t row_stride, size_t esize,
                                       RowCarry* carry = nullptr) {
    return RowHints{r + 1 < end ? static_cast<const char*>(z) + static_cast<size_t>(row_stride) * esize : nullptr,
                    carry};
}

struct CeRowKernels {
    const char* isa;

    /* Statistics of one row. scratch: at least 2 * vocab floats. */
    RowResult (*forward_row)(const void* z, int32_t dtype, int64_t vocab, int64_t y, const RowParams& p,
                             float* scratch, const RowHints& hints);

    /*
     * Statistics plus the gradient scaled by k, written to g (logits' dtype).
     * g may equal z (in place): the row is fully read before g is written.
     */
    RowResult (*forward_backward_row)(const void* z, int32_t dtype, int64_t vocab, int64_t y,
                                      const RowParams& p, float k, void* g, float* scratch,
                                      const RowHints& hints);

    /* Gradient only, from a known lse (one pass). g may equal z. */
    void (*backward_row)(const void* z, int32_t dtype, int64_t vocab, int64_t y, float lse,
                         const RowParams& p, float k, void* g, const RowHints& hints);

    /*
     * sum_i exp(x[i]) for x[i] <= 0 (or NaN) through this variant's own exp,
     * the one the row kernels' softmax pass uses on z' - max: the exp ceiling
     * of the benchmarks (reweigh_bench_exp, roofline.cpp).
     */
    float (*exp_sum)(const float* x, int64_t n);
};

const CeRowKernels& scalar_kernels();
/* These two return nullptr when the library was built without that variant. */
const CeRowKernels* avx2_kernels();
const CeRowKernels* avx512_kernels();

}  // namespace cpu
}  // namespace reweigh

#endif
