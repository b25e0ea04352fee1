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
};

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
 *           is that row.
 */
struct RowHints {
    const void* next_z;
    RowCarry* carry = nullptr;
};

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
