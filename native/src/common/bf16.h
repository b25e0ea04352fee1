/*
 * bf16.h: bfloat16 <-> float32 conversions shared by the CPU and CUDA paths.
 *
 * bf16 is the upper half of an IEEE float32, so widening is a 16-bit shift.
 * Narrowing rounds to nearest, ties to even (what torch's c10::BFloat16 and
 * the AVX512_BF16 vcvtneps2bf16 instruction do), and keeps NaN a quiet NaN.
 */
#ifndef REWEIGH_COMMON_BF16_H
#define REWEIGH_COMMON_BF16_H

#include <stdint.h>

#include "float_bits.h"
#include "hd.h"

namespace reweigh {

REWEIGH_HD float bf16_to_float(uint16_t h) { return bits_float(static_cast<uint32_t>(h) << 16); }

REWEIGH_HD uint16_t float_to_bf16(float f) {
    const uint32_t bits = float_bits(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) {  // NaN: keep sign, force a quiet payload
        return static_cast<uint16_t>((bits >> 16) | 0x0040u);
    }
    uint32_t rounding_bias = 0x7fffu + ((bits >> 16) & 1u);
    return static_cast<uint16_t>((bits + rounding_bias) >> 16);
}

}  // namespace reweigh

#endif
