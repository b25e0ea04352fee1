/*
 * fp16.h: IEEE binary16 <-> float32 conversions shared by the CPU tests and the
 * CUDA kernels (REWEIGH_HD), written with integer operations so the host
 * computes bit for bit what the device does.
 *
 * Widening is exact (subnormal halves become normal floats). Narrowing rounds
 * to nearest, ties to even, like __float2half_rn and torch's c10::Half;
 * overflow gives +-inf and NaN stays a quiet NaN. The narrowing algorithm is
 * Fabian Giesen's float_to_half_fast3_rtne (public domain,
 * https://gist.github.com/rygorous/2156668, "float_to_half_fast3_rtne").
 */
#ifndef REWEIGH_COMMON_FP16_H
#define REWEIGH_COMMON_FP16_H

#include <stdint.h>

#include "float_bits.h"
#include "hd.h"

namespace reweigh {

REWEIGH_HD float half_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exponent = (static_cast<uint32_t>(h) >> 10) & 0x1fu;
    const uint32_t mantissa = static_cast<uint32_t>(h) & 0x3ffu;
    if (exponent == 0x1fu) {
        return bits_float(sign | 0x7f800000u | (mantissa << 13)); /* inf or NaN (payload kept) */
    }
    if (exponent == 0u) {
        /* zero or subnormal: mantissa * 2^-24, exact in float32 */
        return bits_float(float_bits(static_cast<float>(mantissa) * 5.9604644775390625e-8f) | sign);
    }
    return bits_float(sign | ((exponent + 112u) << 23) | (mantissa << 13)); /* rebias 15 -> 127 */
}

REWEIGH_HD uint16_t float_to_half(float f) {
    uint32_t bits = float_bits(f);
    const uint32_t sign = bits & 0x80000000u;
    bits ^= sign;
    uint32_t out;
    if (bits >= 0x47800000u) {                    /* >= 2^16: inf, or NaN */
        out = bits > 0x7f800000u ? 0x7e00u : 0x7c00u;
    } else if (bits < 0x38800000u) {              /* below 2^-14: subnormal half or zero */
        /* Adding 0.5f puts the half's 10 mantissa bits at the bottom of the float;
         * the float addition itself rounds to nearest even. */
        out = float_bits(bits_float(bits) + 0.5f) - 0x3f000000u;
    } else {
        const uint32_t mantissa_odd = (bits >> 13) & 1u;
        bits += 0xc8000fffu + mantissa_odd;      /* rebias 127 -> 15 (-112 << 23) and round */
        out = bits >> 13;                        /* overflow into the exponent gives inf */
    }
    return static_cast<uint16_t>(out | (sign >> 16));
}

}  // namespace reweigh

#endif
