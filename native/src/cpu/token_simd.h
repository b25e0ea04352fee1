/*
 * token_simd.h: the vectorised row kernel of reweigh_ce_backward_rows,
 * written once over a vector-traits type V and instantiated in one translation
 * unit per instruction set (ce_token_avx2.cpp, ce_token_avx512.cpp), like
 * ce_simd.h. Include only from those files, inside an anonymous namespace.
 *
 * Traits used (present in simd_avx2.h and simd_avx512.h): R, W, load, store,
 * load_bf16, store_bf16, set1, add, sub, mul, max, exp, tanh.
 *
 * Per lane it computes common/token_row.h's token_grad_element:
 *
 *   p = exp(z' - lse)
 *   g = [ p * (a - kb * (max(z' - lse, -100) + H)) - b ] * dz'/dz
 *
 * the target element is redone in scalar with its -t afterwards, the tail in
 * scalar. The max(., -100) keeps 0 * (-inf) = NaN out of masked (-inf)
 * logits, whose p is exactly 0 here (the vector exp flushes below about
 * -87.3; ce_simd.h [Note: exp underflow]). Without an entropy term (kb = 0)
 * the loop is the one of ce_simd.h's backward_row, operation for operation,
 * so unit row weights reproduce reweigh_ce_backward bit for bit
 * (test_ce_token UnitWeightsEqualPerSampleBackward).
 */
#ifndef REWEIGH_CPU_TOKEN_SIMD_H
#define REWEIGH_CPU_TOKEN_SIMD_H

#include <stdint.h>

#include "../common/bf16.h"
#include "../common/ce_row.h"
#include "../common/token_row.h"

template <class V>
struct TokenSimd {
    using R = typename V::R;
    static constexpr int64_t W = V::W;

    /* z' = softcap(scale * z), the operation order of ce_simd.h's transform. */
    static R transform(R x, const reweigh::RowParams& p) {
        if (p.scale != 1.0f) x = V::mul(x, V::set1(p.scale));
        if (p.softcap > 0.0f) x = V::mul(V::set1(p.softcap), V::tanh(V::mul(x, V::set1(1.0f / p.softcap))));
        return x;
    }

    static R derivative(R zp, const reweigh::RowParams& p) {
        if (p.softcap > 0.0f) {
            R t = V::mul(zp, V::set1(1.0f / p.softcap));
            return V::mul(V::set1(p.scale), V::sub(V::set1(1.0f), V::mul(t, t)));
        }
        return V::set1(p.scale);
    }

    static float load_scalar(const void* z, int32_t dtype, int64_t v) {
        return dtype == 0 ? static_cast<const float*>(z)[v]
                          : reweigh::bf16_to_float(static_cast<const uint16_t*>(z)[v]);
    }

    static void store_scalar(void* g, int32_t dtype, int64_t v, float x) {
        if (dtype == 0) {
            static_cast<float*>(g)[v] = x;
        } else {
            static_cast<uint16_t*>(g)[v] = reweigh::float_to_bf16(x);
        }
    }

    static void backward_row(const void* z, int32_t dtype, int64_t vocab, int64_t y, const reweigh::RowParams& p,
                             const reweigh::GradEpilogue& e, const reweigh::EntropyEpilogue& h, void* g) {
        // Read before any write: g may be z itself (in place).
        const float zp_y = reweigh::transform_logit(load_scalar(z, dtype, y), p);
        const R vlse = V::set1(e.lse), va = V::set1(e.a), vb = V::set1(e.b);
        const bool entropy = h.kb != 0.0f;
        const R vkb = V::set1(h.kb), vh = V::set1(h.entropy), vmin = V::set1(-100.0f);
        int64_t v = 0;
        for (; v + W <= vocab; v += W) {
            R x = dtype == 0 ? V::load(static_cast<const float*>(z) + v)
                             : V::load_bf16(static_cast<const uint16_t*>(z) + v);
            x = transform(x, p);
            const R delta = V::sub(x, vlse);
            const R prob = V::exp(delta);
            R gx;
            if (entropy) {
                const R coef = V::sub(va, V::mul(vkb, V::add(V::max(delta, vmin), vh)));
                gx = V::sub(V::mul(prob, coef), vb);
            } else {
                gx = V::sub(V::mul(va, prob), vb);
            }
            gx = V::mul(gx, derivative(x, p));
            if (dtype == 0) {
                V::store(static_cast<float*>(g) + v, gx);
            } else {
                V::store_bf16(static_cast<uint16_t*>(g) + v, gx);
            }
        }
        for (; v < vocab; ++v) {
            const float zp = reweigh::transform_logit(load_scalar(z, dtype, v), p);
            store_scalar(g, dtype, v, reweigh::token_grad_element(e, h, zp, false, p));
        }
        store_scalar(g, dtype, y, reweigh::token_grad_element(e, h, zp_y, true, p));
    }
};

#endif
