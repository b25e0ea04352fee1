/*
 * logit_io.h: element access to a CPU batch's logits and gradient rows, one
 * element at a time, for the scalar paths (ce_scalar.cpp's row kernel, the
 * sharded driver, the per-row-coefficient driver). A logits or gradient
 * element is F32 or BF16 (the CPU dtypes, docs/design.md §3.3); BF16 goes
 * through the shared round-to-nearest-even conversions of ../common/bf16.h.
 *
 * Included only by translation units built with the baseline compiler flags:
 * the per-ISA files (-mavx2, -mavx512f) keep their own element access in their
 * SIMD traits, so no inline copy built for a wider ISA can be picked by the
 * linker for a baseline caller.
 */
#ifndef REWEIGH_CPU_LOGIT_IO_H
#define REWEIGH_CPU_LOGIT_IO_H

#include <stddef.h>
#include <stdint.h>

#include "../common/bf16.h"
#include "reweigh/reweigh.h"

namespace reweigh {
namespace cpu {

/* Bytes of one logits (or gradient) element of `dtype`. */
inline size_t elem_size(int32_t dtype) { return dtype == REWEIGH_DTYPE_F32 ? 4 : 2; }

/* Element v of a row of `dtype`, widened to float. */
inline float load_logit(const void* z, int32_t dtype, int64_t v) {
    if (dtype == REWEIGH_DTYPE_F32) return static_cast<const float*>(z)[v];
    return bf16_to_float(static_cast<const uint16_t*>(z)[v]);
}

/* Stores value as element v of a gradient row of `dtype` (BF16: rounded to nearest even). */
inline void store_grad(void* g, int32_t dtype, int64_t v, float value) {
    if (dtype == REWEIGH_DTYPE_F32) {
        static_cast<float*>(g)[v] = value;
    } else {
        static_cast<uint16_t*>(g)[v] = float_to_bf16(value);
    }
}

/* The first logit of row r of the batch (logits_row_stride elements per row). */
inline const void* logits_row(const reweigh_ce_batch_t& b, int64_t r) {
    const size_t first = static_cast<size_t>(r * b.logits_row_stride);
    return static_cast<const char*>(b.logits) + first * elem_size(b.logits_dtype);
}

}  // namespace cpu
}  // namespace reweigh

#endif
