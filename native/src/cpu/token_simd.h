/*
 * token_simd.h: the vectorised row kernels of reweigh_ce_backward_rows and
 * of the one-pass policy step, written once over a vector-traits type V and
 * instantiated in one translation unit per instruction set
 * (ce_token_avx2.cpp, ce_token_avx512.cpp) on top of ce_simd.h's
 * SimdRowKernels<V>, whose gradient writers they use. Include only from
 * those files, after ce_simd.h, inside an anonymous namespace.
 *
 * Traits used (present in simd_avx2.h and simd_avx512.h): R, W, load,
 * load_bf16, set1, sub, mul, fmadd, max, exp, tanh, fence.
 *
 * Per lane it computes common/token_row.h's token_grad_element:
 *
 *   p = exp(z' - lse)
 *   g = [ p * ((a - kb * H) - kb * max(z' - lse, -100)) - b ] * dz'/dz
 *
 * the target element is redone in scalar with its -t afterwards, the tail in
 * scalar. The max(., -100) keeps 0 * (-inf) = NaN out of masked (-inf)
 * logits, whose p is exactly 0 here (the vector exp flushes below about
 * -87.3; ce_simd.h [Note: exp underflow]). backward_row is the per-sample
 * backward's single pass (ce_simd.h's write_row: bf16 lane pairs with one
 * packed store per pair, a separate gradient of 32 KiB rows or more
 * streamed, the next row prefetched). Without an entropy term (kb = 0) it is
 * ce_simd.h's grad_from_lse itself with the row's epilogue, so unit row
 * weights reproduce reweigh_ce_backward bit for bit (test_ce_token
 * UnitWeightsEqualPerSampleBackward).
 *
 * coefficient_row is the one-pass policy step's row (include ce_simd.h
 * first): the row coefficient is computed from the row's statistics between
 * pass 2 and the gradient pass. Without an entropy term it is ce_simd.h's
 * fused row (SimdRowKernels<V>::fused_row_by), as forwardBackward, and
 * takes the driver's RowCarry the same way (the next row's pass 1 under this
 * row's exp, this row's gradient written under the next row's: ce_simd.h
 * [Note: the gradient under the next row's exp]); with one,
 * passes 1 and 2 keep the exponentials and the gradient takes p = e / d
 * from them (ce_simd.h's EntropyLanes, through a PendingGrad of the form
 * kb != 0), so the gradient pass reads the row from cache, computes no
 * second exp and streams a separate gradient as the fused row does; that
 * gradient is left pending in the driver's RowCarry like the fused row's
 * (written at once by the same writer without one), and any row writes a
 * pending gradient under its exp pass (ce_simd.h PendingWriter). Rows too
 * long to keep them in L2 with the logits recompute p with the lanes
 * below; with a softcap as well, the forward row, then the same lanes over
 * the z' that its pass 0 left in scratch (p = exp(z' - lse), no second
 * tanh), streamed the same way.
 */
#ifndef REWEIGH_CPU_TOKEN_SIMD_H
#define REWEIGH_CPU_TOKEN_SIMD_H

#include <math.h>
#include <stdint.h>

#include "../common/bf16.h"
#include "../common/ce_row.h"
#include "../common/logit_io.h"
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

    /*
     * The backward's gradient with the entropy term over src (the raw logits,
     * ce_simd.h's F32Src or Bf16Src), through ce_simd.h's write_row like the
     * per-sample backward: bf16 in lane pairs with one packed store per pair,
     * rows of 32 KiB or more streamed to a separate gradient, the next row
     * prefetched at the offsets read. Transform: any scale or softcap
     * (without it z' = z and dz'/dz = 1, and the multiply is skipped).
     * kNaN false: none of the row's constants is NaN, so a NaN lane comes
     * from a NaN logit and bf16 rounding skips the quiet-NaN fix-up, as the
     * per-sample backward does (ce_simd.h [Note: bf16 gradients without
     * NaN]: x86 arithmetic makes a NaN either the default NaN or a quieted
     * copy of a NaN operand, and a bf16 logit's low 16 bits are zero).
     */
    template <bool Transform, bool kNaN, class Src, class ZpAt>
    static void entropy_backward(const Src& src, int32_t dtype, int64_t vocab, const reweigh::RowParams& params,
                                 const reweigh::GradEpilogue& e, const reweigh::EntropyEpilogue& h, void* g,
                                 bool stream, const char* pf, ZpAt&& zp_at) {
        using K = SimdRowKernels<V>;
        const reweigh::RowParams p = params;
        const R vlse = V::set1(e.lse);
        const R vc0 = V::set1(e.a - h.kb * h.entropy), vnkb = V::set1(-h.kb), vnb = V::set1(-e.b);
        K::template write_row<Src::kInterleaved, kNaN>(
            g, dtype, vocab, stream, src, pf,
            [&](R z) REWEIGH_SIMD_LAMBDA {
                const R x = Transform ? transform(z, p) : z;
                const R delta = V::sub(x, vlse);
                const R gx = K::entropy_lane(V::exp(delta), delta, vc0, vnkb, vnb);
                return Transform ? V::mul(gx, derivative(x, p)) : gx;
            },
            [&](int64_t v) { return reweigh::token_grad_element(e, h, zp_at(v), false, p); });
    }

    /* entropy_backward for the row's scale and softcap. */
    template <class Src, class ZpAt>
    static void entropy_backward_for(const Src& src, int32_t dtype, int64_t vocab, const reweigh::RowParams& p,
                                     const reweigh::GradEpilogue& e, const reweigh::EntropyEpilogue& h, void* g,
                                     bool stream, const char* pf, ZpAt&& zp_at) {
        const bool transform = p.scale != 1.0f || p.softcap > 0.0f;
        const bool logit_nans_only = !isnan(e.lse) && !isnan(e.a) && !isnan(e.b) && !isnan(h.kb) &&
                                     !isnan(h.entropy) && !isnan(p.scale) && !isnan(p.softcap);
        if (transform) {
            if (logit_nans_only) return entropy_backward<true, false>(src, dtype, vocab, p, e, h, g, stream, pf, zp_at);
            return entropy_backward<true, true>(src, dtype, vocab, p, e, h, g, stream, pf, zp_at);
        }
        if (logit_nans_only) return entropy_backward<false, false>(src, dtype, vocab, p, e, h, g, stream, pf, zp_at);
        entropy_backward<false, true>(src, dtype, vocab, p, e, h, g, stream, pf, zp_at);
    }

    /*
     * coefficient_row's gradient lanes with the entropy term, as a row source
     * of ce_simd.h's write_row (memory order), so the gradient pass streams a
     * separate gradient as the fused row does ([Note: streaming the gradient]
     * in ce_simd.h). Two sources of z' (rows that keep their exponentials
     * use ce_simd.h's EntropyLanes through a PendingGrad instead):
     *   recomputed z' from the logits, p = exp(z' - lse) as in body (rows too
     *             long to keep: l2_budget.h keeps_exponentials);
     *   capped    z' from pass 0's fp32 copy in `cache` (a softcap: no second
     *             tanh), p = exp(z' - lse).
     */
    enum class Lanes { recomputed, capped };

    template <bool F32, bool Transform, Lanes L>
    struct EntropyLanes {
        static constexpr bool kInterleaved = false;
        const void* z;
        const float* cache;
        reweigh::RowParams p;
        R vlse, vc0, vnkb, vnb;

        R load(int64_t v) const {
            R x;
            if (L == Lanes::capped) {
                x = V::load(cache + v);
            } else {
                x = F32 ? V::load(static_cast<const float*>(z) + v) : V::load_bf16(static_cast<const uint16_t*>(z) + v);
                if (Transform) x = transform(x, p);
            }
            const R delta = V::sub(x, vlse);
            const R gx = SimdRowKernels<V>::entropy_lane(V::exp(delta), delta, vc0, vnkb, vnb);
            return Transform ? V::mul(gx, derivative(x, p)) : gx;
        }
        typename SimdRowKernels<V>::Pair load2(int64_t v) const { return {load(v), load(v + W)}; }
    };

    /* The entropy term's gradient row over EntropyLanes; the scalar tail and the target as backward_row's. */
    template <bool F32, bool Transform, Lanes L>
    static void entropy_row(const void* z, int32_t dtype, int64_t vocab, int64_t y, float zp_y,
                            const reweigh::RowParams& p, const reweigh::GradEpilogue& e,
                            const reweigh::EntropyEpilogue& h, void* g, const float* cache) {
        using K = SimdRowKernels<V>;
        const EntropyLanes<F32, Transform, L> src{z, cache, p, V::set1(e.lse),
                                                  V::set1(e.a - h.kb * h.entropy), V::set1(-h.kb), V::set1(-e.b)};
        const bool stream = K::streams(z, g, dtype, vocab);
        K::template write_row<false>(g, dtype, vocab, stream, src, nullptr, [](R x) REWEIGH_SIMD_LAMBDA { return x; },
                                     [&](int64_t v) {
                                         const float zp = reweigh::transform_logit(reweigh::load_logit(z, dtype, v), p);
                                         return reweigh::token_grad_element(e, h, zp, false, p);
                                     });
        reweigh::store_grad_element(g, dtype, y, reweigh::token_grad_element(e, h, zp_y, true, p));
        if (stream) V::fence();
    }

    /* entropy_row with recomputed p for the logits' dtype and scale (no softcap). */
    static void recomputed_entropy_row(const void* z, int32_t dtype, int64_t vocab, int64_t y, float zp_y,
                                       const reweigh::RowParams& p, const reweigh::GradEpilogue& e,
                                       const reweigh::EntropyEpilogue& h, void* g) {
        constexpr Lanes L = Lanes::recomputed;
        const bool transform = p.scale != 1.0f;
        if (dtype == REWEIGH_DTYPE_F32) {
            if (transform) return entropy_row<true, true, L>(z, dtype, vocab, y, zp_y, p, e, h, g, nullptr);
            return entropy_row<true, false, L>(z, dtype, vocab, y, zp_y, p, e, h, g, nullptr);
        }
        if (transform) return entropy_row<false, true, L>(z, dtype, vocab, y, zp_y, p, e, h, g, nullptr);
        entropy_row<false, false, L>(z, dtype, vocab, y, zp_y, p, e, h, g, nullptr);
    }

    /*
     * One pass over memory, as ce_simd.h's backward_row ([Note: prefetching in
     * the backward], [Note: streaming the gradient]). Without an entropy term
     * the row is that kernel's grad_from_lse with this row's epilogue (k_s w_r
     * in place of k_s), so unit row weights give reweigh_ce_backward's bits.
     */
    static void backward_row(const void* z, int32_t dtype, int64_t vocab, int64_t y, const reweigh::RowParams& p,
                             const reweigh::GradEpilogue& e, const reweigh::EntropyEpilogue& h, void* g,
                             const reweigh::cpu::RowHints& hints) {
        using K = SimdRowKernels<V>;
        // Read before any write: g may be z itself (in place).
        const float zp_y = reweigh::transform_logit(reweigh::load_logit(z, dtype, y), p);
        const bool stream = K::streams(z, g, dtype, vocab);
        const char* pf = static_cast<const char*>(hints.next_z);
        auto zp_at = [&](int64_t v) { return reweigh::transform_logit(reweigh::load_logit(z, dtype, v), p); };
        const typename K::F32Src f32{static_cast<const float*>(z)};
        const typename K::Bf16Src bf16{static_cast<const uint16_t*>(z)};
        if (h.kb == 0.0f) {
            if (dtype == REWEIGH_DTYPE_F32) {
                K::grad_from_lse(f32, true, vocab, y, zp_y, p, e, dtype, g, stream, pf, zp_at);
            } else {
                K::grad_from_lse(bf16, true, vocab, y, zp_y, p, e, dtype, g, stream, pf, zp_at);
            }
            return;
        }
        if (dtype == REWEIGH_DTYPE_F32) {
            entropy_backward_for(f32, dtype, vocab, p, e, h, g, stream, pf, zp_at);
        } else {
            entropy_backward_for(bf16, dtype, vocab, p, e, h, g, stream, pf, zp_at);
        }
        reweigh::store_grad_element(g, dtype, y, reweigh::token_grad_element(e, h, zp_y, true, p));
        if (stream) V::fence();
    }

    /*
     * The kept entropy row's gradient as a PendingGrad (ce_kernels.h, the form kb != 0) for the
     * next row's exp pass to write: the lanes' constants as entropy_row's, the scalar tail's
     * elements computed here from the logits (intact until g is written).
     */
    static reweigh::cpu::PendingGrad pending_entropy(const void* z, int32_t dtype, int64_t vocab, int64_t y, float zp_y,
                                                     const reweigh::RowParams& p, const reweigh::GradEpilogue& e,
                                                     const reweigh::EntropyEpilogue& h, void* g, const float* e_buf,
                                                     float inv_d) {
        using K = SimdRowKernels<V>;
        const float c0 = e.a - h.kb * h.entropy;
        // ce_simd.h [Note: bf16 gradients without NaN]: with d finite (no NaN or +inf logit) every
        // e lies in [0, 1] and z' - lse in [-inf, 0], so with no NaN among the constants a lane
        // is a NaN only as the default NaN of inf * 0, which rounds to bf16 without the fix-up.
        const bool nan_free = isfinite(inv_d) && inv_d > 0.0f && !isnan(e.lse) && !isnan(c0) && !isnan(h.kb) &&
                              !isnan(e.b) && !isnan(p.scale);
        reweigh::cpu::PendingGrad pg{g, e_buf, dtype, vocab, y, inv_d, e.b,
                                     reweigh::token_grad_element(e, h, zp_y, true, p), K::streams(z, g, dtype, vocab),
                                     nan_free, &K::flush_pending};
        pg.kb = h.kb;
        pg.z = z;
        pg.scale = p.scale;
        pg.lse = e.lse;
        pg.c0 = c0;
        for (int64_t v = vocab - vocab % W; v < vocab; ++v) {
            const float zp = reweigh::transform_logit(reweigh::load_logit(z, dtype, v), p);
            pg.tail[v - (vocab - vocab % W)] = reweigh::token_grad_element(e, h, zp, false, p);
        }
        return pg;
    }

    static reweigh::RowResult coefficient_row(const void* z, int32_t dtype, int64_t vocab, int64_t y,
                                              const reweigh::RowParams& p, const reweigh::cpu::RowCoefficient& c,
                                              float kb, void* g, float* scratch, const reweigh::cpu::RowHints& hints) {
        using K = SimdRowKernels<V>;
        if (kb == 0.0f) {
            float* e_buf = K::fused_e_buf(scratch, dtype, vocab, p, hints);
            return K::with_source(z, dtype, vocab, p, scratch, [&](const auto& zp) {
                return K::fused_row_by(zp, z, dtype, vocab, y, p,
                                       [&](const reweigh::RowResult& r) { return c.of(c.ctx, c.row, r); }, g,
                                       e_buf, hints);
            });
        }
        const float zp_y = reweigh::transform_logit(reweigh::load_logit(z, dtype, y), p);  // before g (maybe z) is written
        if (p.softcap > 0.0f) {
            // Pass 0's copy takes the scratch a pending gradient reads its e from: write that first.
            if (hints.carry != nullptr) reweigh::cpu::finish_rows(*hints.carry);
            // The forward row leaves pass 0's fp32 z' in scratch; the gradient lanes read it, so one
            // instantiation serves F32 and BF16 logits.
            const reweigh::RowResult r = K::forward_row(z, dtype, vocab, y, p, scratch, hints);
            const reweigh::GradEpilogue e = reweigh::grad_epilogue(r.lse, c.of(c.ctx, c.row, r), vocab, p);
            entropy_row<true, true, Lanes::capped>(z, dtype, vocab, y, zp_y, p, e, {kb, r.entropy}, g, scratch);
            return r;
        }
        // Passes 1 and 2 keep e = exp(z' - m) unless the row is too long for the L2 (token_kernels.h
        // keeps_exponentials); the gradient pass takes p = e / d. A gradient pending in the carry is
        // written beside the exp; with kept exponentials this row's own is left pending in turn
        // (ce_simd.h [Note: the gradient under the next row's exp]), in the form of these lanes.
        const bool keep = reweigh::cpu::row_keeps_exponentials(dtype, vocab);
        reweigh::cpu::RowCarry* carry = hints.carry;
        float* e_buf = keep ? K::fused_e_buf(scratch, dtype, vocab, p, hints) : nullptr;
        float inv_d = 0.0f;
        const reweigh::RowResult r = K::with_source(z, dtype, vocab, p, scratch, [&](const auto& zp) {
            float sum_zp = 0.0f;
            const reweigh::SoftmaxState st = K::softmax_writing_pending(zp, vocab, false, e_buf, &sum_zp, hints.next_z,
                                                                        K::elem_bytes(dtype), carry);
            inv_d = 1.0f / st.d;
            return reweigh::row_finish(st, zp_y, sum_zp, vocab, p);
        });
        const reweigh::GradEpilogue e = reweigh::grad_epilogue(r.lse, c.of(c.ctx, c.row, r), vocab, p);
        const reweigh::EntropyEpilogue h{kb, r.entropy};
        if (!keep) {
            recomputed_entropy_row(z, dtype, vocab, y, zp_y, p, e, h, g);
        } else if (K::defers(carry, dtype)) {
            carry->pending = pending_entropy(z, dtype, vocab, y, zp_y, p, e, h, g, e_buf, inv_d);
        } else {  // no carry to leave it in: written now by the same writer
            reweigh::cpu::PendingGrad pg = pending_entropy(z, dtype, vocab, y, zp_y, p, e, h, g, e_buf, inv_d);
            K::flush_pending(pg);
        }
        return r;
    }
};

#endif
