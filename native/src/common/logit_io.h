/*
 * logit_io.h: one logit read as fp32, and one gradient element written, in
 * the batch's logits dtype (F32, or BF16 rounded to nearest even as
 * float_to_bf16), for the CPU's element-by-element code (the scalar row
 * kernels, the scalar tails of the vector ones, the finite-logits scan).
 */
#ifndef REWEIGH_COMMON_LOGIT_IO_H
#define REWEIGH_COMMON_LOGIT_IO_H

#include <stdint.h>

#include "bf16.h"
#include "reweigh/reweigh.h"

namespace reweigh {

static inline float load_logit(const void* z, int32_t dtype, int64_t i) {
    return dtype == REWEIGH_DTYPE_F32 ? static_cast<const float*>(z)[i]
                                      : bf16_to_float(static_cast<const uint16_t*>(z)[i]);
}

static inline void store_grad_element(void* g, int32_t dtype, int64_t i, float value) {
    if (dtype == REWEIGH_DTYPE_F32) {
        static_cast<float*>(g)[i] = value;
        return;
    }
    static_cast<uint16_t*>(g)[i] = float_to_bf16(value);
}

}  // namespace reweigh

#endif
