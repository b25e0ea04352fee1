/*
 * float_bits.h: a float32's bit pattern and back, for the bf16 and fp16
 * conversions on the host and the CUDA device (REWEIGH_HD). memcpy is the
 * defined way to reinterpret the bits; compilers turn it into one move.
 */
#ifndef REWEIGH_COMMON_FLOAT_BITS_H
#define REWEIGH_COMMON_FLOAT_BITS_H

#include <stdint.h>
#include <string.h>

#include "hd.h"

namespace reweigh {

REWEIGH_HD uint32_t float_bits(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

REWEIGH_HD float bits_float(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

}  // namespace reweigh

#endif
