/*
 * ce_simd.h: the vectorised row kernels, written once over a vector-traits
 * type V (simd_avx2.h, simd_avx512.h) and instantiated in one translation
 * unit per instruction set (ggml's "write the algorithm once" idiom).
 *
 * Include only from ce_<isa>.cpp, inside an anonymous namespace.
 *
 * The lane-by-lane math mirrors ../common/ce_row.h; the passes differ because
 * vector code prefers two cheap passes to one online pass:
 *
 *   pass 0  (only with a softcap): z' = softcap(scale z) -> scratch (fp32)
 *   pass 1  m = max z', and sum z' when label smoothing is on    (reads memory)
 *   pass 2  e = exp(z' - m); d = sum e; s = sum e (z' - m)        (from L2)
 *           the fused kernel stores e to scratch for pass 3
 *   finish  lse = m + log d, entropy = log d - s / d          (ce_row.h row_finish)
 *   pass 3  g = (a * e / d - b) * dz'/dz, then the target element (fused only)
 *
 * Passes 1 and 2 read the logits in their own dtype and widen bf16 (and apply
 * the scale) in registers ([Note: row sources]), so a bf16 row moves half the
 * bytes of an fp32 row and no fp32 copy of it is ever written. Only the
 * softcap, whose tanh costs as much as the exp, is materialised once (pass 0).
 *
 * So forwardBackward reads each logit from memory once and writes each
 * gradient once; the other passes hit a row that is still in L2 (a 32k-vocab
 * fp32 row plus its scratch is 256 KiB). With a softcap, pass 3 recomputes
 * p = exp(z' - lse) from the cached z' because dz'/dz needs z'.
 *
 * [Note: prefetching the next row] Pass 1 is bound by memory and pass 2 by
 * the exp arithmetic, and a thread runs them one after the other, so without
 * help a row costs (read time + exp time): forward reached about 0.4 of the
 * read roofline on the 2-core Xeon of benchmarks/README.md. The driver hands
 * each kernel the row the same thread handles next (RowHints.next_z); pass 2
 * issues prefetcht1 for the bytes of that row at the offsets it is processing
 * (every 64 bytes of z it covers), so the next row streams into L2 while this
 * one computes exp, and the next pass 1 (or pass 0) reads L2. A row then costs
 * about max(read, exp) instead of the sum.
 *
 * [Note: exp underflow] The vector exp (simd_exp.h) returns exactly 0 below
 * x = -86.2968 (true value < 3.4e-38, no subnormals); the scalar reference
 * keeps subnormals. The difference is below 3.4e-38 per element, far under any
 * tolerance, and it makes -inf logits give e = 0 without a NaN from
 * (-inf) - (-inf).
 *
 * [Note: row sources] A source is the row as passes 1 and 2 see it: load(v)
 * gives W transformed logits z' as fp32 lanes, at(v) one of them as a float,
 * with the same arithmetic (bf16 widening is exact; the scale is one multiply
 * either way), so the vector body and the scalar tail agree bit for bit.
 *
 * [Note: streaming the gradient] When the gradient goes to its own buffer (not
 * in place) its lines are not in cache, and an ordinary store first reads each
 * line from memory (read for ownership): three memory passes per logit instead
 * of the copy roofline's two. The fused kernel's pass 3 and the backward
 * kernel therefore write rows of 32 KiB or more with non-temporal stores
 * (write_grad), each 64-byte line as back-to-back stores so it leaves the
 * write-combining buffer whole, then fence so the pool's completion signal
 * orders after them. A line written in pieces with an exp between them went
 * out partial: with 32- and 16-byte pieces the streamed backward was 1.2x to
 * 1.5x slower than ordinary stores, with whole lines it is faster
 * (benchmarks/README.md). In place, the lines were just read and sit in
 * cache, so ordinary stores cost nothing extra.
 *
 * [Note: prefetching in the backward] The backward kernel is one pass: load,
 * exp, store. Left to the hardware prefetcher, a thread's reads stall behind
 * the exp arithmetic (bf16 backward ran at 0.47 of its copy roofline on the
 * 2-core Xeon); it prefetches the next row into L2 at the offset it is
 * processing, as pass 2 does in [Note: prefetching the next row].
 */
#ifndef REWEIGH_CPU_CE_SIMD_H
#define REWEIGH_CPU_CE_SIMD_H

#include <math.h>
#include <stdint.h>

#include "../common/bf16.h"
#include "../common/ce_row.h"
#include "ce_kernels.h"

template <class V>
struct SimdRowKernels {
    using R = typename V::R;
    static constexpr int64_t W = V::W;

    /* Smallest delta fed to e * delta: keeps 0 * (-inf) out of s. */
    static constexpr float kMinDelta = -100.0f;

    static R transform(R x, const reweigh::RowParams& p) {
        if (p.scale != 1.0f) x = V::mul(x, V::set1(p.scale));
        if (p.softcap > 0.0f) x = V::mul(V::set1(p.softcap), V::tanh(V::mul(x, V::set1(1.0f / p.softcap))));
        return x;
    }

    static R load_row(const void* z, int32_t dtype, int64_t v) {
        return dtype == REWEIGH_DTYPE_F32 ? V::load(static_cast<const float*>(z) + v)
                          : V::load_bf16(static_cast<const uint16_t*>(z) + v);
    }

    static float load_scalar(const void* z, int32_t dtype, int64_t v) {
        return dtype == REWEIGH_DTYPE_F32 ? static_cast<const float*>(z)[v]
                          : reweigh::bf16_to_float(static_cast<const uint16_t*>(z)[v]);
    }

    static void store_grad(void* g, int32_t dtype, int64_t v, R x) {
        if (dtype == REWEIGH_DTYPE_F32) {
            V::store(static_cast<float*>(g) + v, x);
        } else {
            V::store_bf16(static_cast<uint16_t*>(g) + v, x);
        }
    }

    static void stream_grad(void* g, int32_t dtype, int64_t v, R x) {
        if (dtype == REWEIGH_DTYPE_F32) {
            V::stream(static_cast<float*>(g) + v, x);
        } else {
            V::stream_bf16(static_cast<uint16_t*>(g) + v, x);
        }
    }

    /* Rows at least this long stream a separate gradient buffer: see [Note: streaming the gradient]. */
    static constexpr int64_t kStreamRowBytes = int64_t{1} << 15;

    static bool streams(const void* z, const void* g, int32_t dtype, int64_t vocab) {
        return g != z && vocab * elem_bytes(dtype) >= kStreamRowBytes &&
               reinterpret_cast<uintptr_t>(g) % static_cast<uintptr_t>(elem_bytes(dtype)) == 0;
    }

    /*
     * Writes the gradient lanes at(v) for v in [0, vend) (vend a multiple of W).
     * Streaming, the vectors before g's first 64-byte boundary and after its
     * last go out with ordinary unaligned stores, and every whole line in
     * between with non-temporal stores issued back to back, so each line
     * leaves the write-combining buffer complete (a partial line costs a read
     * of memory). Head and tail may overlap the streamed lines; they write the
     * same lanes, so every element's value is the same as without streaming,
     * whatever g's alignment.
     */
    template <class At>
    static void write_grad(void* g, int32_t dtype, int64_t vend, bool stream, At&& at) {
        int64_t v = 0;
        const int64_t es = elem_bytes(dtype);
        const int64_t line = 64 / es;
        if (stream && vend >= 2 * line) {
            const uintptr_t misalign = reinterpret_cast<uintptr_t>(g) % 64;
            const int64_t first = misalign == 0 ? 0 : static_cast<int64_t>((64 - misalign) / static_cast<uintptr_t>(es));
            for (; v < first; v += W) store_grad(g, dtype, v, at(v));
            v = dtype == REWEIGH_DTYPE_F32 ? stream_lines<64 / (4 * W)>(g, dtype, first, vend, at)
                                           : stream_lines<64 / (2 * W)>(g, dtype, first, vend, at);
            for (; v + W <= vend; v += W) store_grad(g, dtype, v, at(v));
            if (v < vend) store_grad(g, dtype, vend - W, at(vend - W));
            return;
        }
        for (; v < vend; v += W) store_grad(g, dtype, v, at(v));
    }

    /* Streams whole 64-byte lines of U vectors from v (line-aligned in g); returns where it stopped. */
    template <int U, class At>
    static int64_t stream_lines(void* g, int32_t dtype, int64_t v, int64_t vend, At& at) {
        for (; v + U * W <= vend; v += U * W) {
            R r[U];
            for (int u = 0; u < U; ++u) r[u] = at(v + u * W);
            for (int u = 0; u < U; ++u) stream_grad(g, dtype, v + u * W, r[u]);
        }
        return v;
    }

    static void store_grad_scalar(void* g, int32_t dtype, int64_t v, float x) {
        if (dtype == REWEIGH_DTYPE_F32) {
            static_cast<float*>(g)[v] = x;
        } else {
            static_cast<uint16_t*>(g)[v] = reweigh::float_to_bf16(x);
        }
    }

    /* Pass 0 (softcap only): z' = softcap(scale z) as fp32 into zp_out. */
    static const float* transformed_row(const void* z, int32_t dtype, int64_t vocab, const reweigh::RowParams& p,
                                        float* zp_out) {
        int64_t v = 0;
        for (; v + W <= vocab; v += W) V::store(zp_out + v, transform(load_row(z, dtype, v), p));
        for (; v < vocab; ++v) zp_out[v] = reweigh::transform_logit(load_scalar(z, dtype, v), p);
        return zp_out;
    }

    /* Row sources: see [Note: row sources]. */
    struct F32Src {
        const float* z;
        R load(int64_t v) const { return V::load(z + v); }
        float at(int64_t v) const { return z[v]; }
    };
    struct Bf16Src {
        const uint16_t* z;
        R load(int64_t v) const { return V::load_bf16(z + v); }
        float at(int64_t v) const { return reweigh::bf16_to_float(z[v]); }
    };
    template <class S>
    struct ScaledSrc {
        S inner;
        float scale;
        R load(int64_t v) const { return V::mul(inner.load(v), V::set1(scale)); }
        float at(int64_t v) const { return inner.at(v) * scale; }
    };

    /*
     * Calls fn(src) with the source of z' for this row: the logits themselves
     * (fp32 or bf16, scaled in registers when scale != 1), or, with a softcap,
     * pass 0's fp32 copy in zp_buf.
     */
    template <class Fn>
    static auto with_source(const void* z, int32_t dtype, int64_t vocab, const reweigh::RowParams& p, float* zp_buf,
                            Fn&& fn) {
        if (p.softcap > 0.0f) return fn(F32Src{transformed_row(z, dtype, vocab, p, zp_buf)});
        if (dtype == REWEIGH_DTYPE_F32) {
            F32Src f{static_cast<const float*>(z)};
            return p.scale == 1.0f ? fn(f) : fn(ScaledSrc<F32Src>{f, p.scale});
        }
        Bf16Src h{static_cast<const uint16_t*>(z)};
        return p.scale == 1.0f ? fn(h) : fn(ScaledSrc<Bf16Src>{h, p.scale});
    }

    /*
     * Passes 1 and 2 over the source's z'; e_out (nullable) receives exp(z' - m).
     * Returns the softmax state and sum z'.
     */
    template <class Src>
    static reweigh::SoftmaxState softmax_row(const Src& zp, int64_t vocab, bool want_sum, float* e_out,
                                             float* sum_out, const void* next_z, int64_t next_es) {
        // Pass 1: max (and sum for label smoothing). Two accumulators hide the latency.
        R m0 = V::set1(-INFINITY), m1 = m0;
        R s0 = V::zero(), s1 = V::zero();
        int64_t v = 0;
        for (; v + 2 * W <= vocab; v += 2 * W) {
            R a = zp.load(v), b = zp.load(v + W);
            m0 = V::max(m0, a);
            m1 = V::max(m1, b);
            if (want_sum) {
                s0 = V::add(s0, a);
                s1 = V::add(s1, b);
            }
        }
        for (; v + W <= vocab; v += W) {
            R a = zp.load(v);
            m0 = V::max(m0, a);
            if (want_sum) s0 = V::add(s0, a);
        }
        float m = V::reduce_max(V::max(m0, m1));
        float sum = want_sum ? V::reduce_add(V::add(s0, s1)) : 0.0f;
        for (; v < vocab; ++v) {
            const float x = zp.at(v);
            if (x > m) m = x;  // a NaN is not lost: pass 2 sums exp(NaN - m) into d
            sum += x;
        }
        *sum_out = sum;

        reweigh::SoftmaxState st;
        st.m = m;
        if (m == -INFINITY) {  // every logit masked: no mass
            st.d = 0.0f;
            st.s = 0.0f;
            if (e_out) {
                for (int64_t i = 0; i < vocab; ++i) e_out[i] = 0.0f;
            }
            return st;
        }
        // Pass 2: e = exp(z' - m), d = sum e, s = sum e * (z' - m).
        // See [Note: prefetching the next row]: bytes [v, v + 2W) of the next row.
        const char* pf = static_cast<const char*>(next_z);
        const bool two_lines = 2 * W * next_es > 64;
        R vm = V::set1(m), vmin = V::set1(kMinDelta);
        R d0 = V::zero(), d1 = V::zero(), q0 = V::zero(), q1 = V::zero();
        v = 0;
        for (; v + 2 * W <= vocab; v += 2 * W) {
            if (pf != nullptr) {
                __builtin_prefetch(pf + v * next_es, 0 /* read */, 2 /* prefetcht1: to L2 */);
                if (two_lines) __builtin_prefetch(pf + v * next_es + 64, 0, 2);
            }
            R x0 = V::sub(zp.load(v), vm), x1 = V::sub(zp.load(v + W), vm);
            R e0 = V::exp(x0), e1 = V::exp(x1);
            d0 = V::add(d0, e0);
            d1 = V::add(d1, e1);
            q0 = V::fmadd(e0, V::max(vmin, x0), q0);
            q1 = V::fmadd(e1, V::max(vmin, x1), q1);
            if (e_out) {
                V::store(e_out + v, e0);
                V::store(e_out + v + W, e1);
            }
        }
        for (; v + W <= vocab; v += W) {
            R x0 = V::sub(zp.load(v), vm);
            R e0 = V::exp(x0);
            d0 = V::add(d0, e0);
            q0 = V::fmadd(e0, V::max(vmin, x0), q0);
            if (e_out) V::store(e_out + v, e0);
        }
        float d = V::reduce_add(V::add(d0, d1));
        float s = V::reduce_add(V::add(q0, q1));
        for (; v < vocab; ++v) {
            float x = zp.at(v) - m;
            float e = x == -INFINITY ? 0.0f : expf(x);
            d += e;
            s += e * (x < kMinDelta ? kMinDelta : x);
            if (e_out) e_out[v] = e;
        }
        st.d = d;
        st.s = s;
        return st;
    }

    static int64_t elem_bytes(int32_t dtype) { return dtype == REWEIGH_DTYPE_F32 ? 4 : 2; }

    static reweigh::RowResult forward_row(const void* z, int32_t dtype, int64_t vocab, int64_t y,
                                          const reweigh::RowParams& p, float* scratch,
                                          const reweigh::cpu::RowHints& hints) {
        return with_source(z, dtype, vocab, p, scratch, [&](const auto& zp) {
            float sum_zp = 0.0f;
            reweigh::SoftmaxState st =
                softmax_row(zp, vocab, p.eps > 0.0f, nullptr, &sum_zp, hints.next_z, elem_bytes(dtype));
            return reweigh::row_finish(st, zp.at(y), sum_zp, vocab, p);
        });
    }

    /* Gradient from cached z' (softcap path and the backward-only kernel share it). */
    static void grad_from_zp(const float* zp, int64_t vocab, int64_t y, const reweigh::RowParams& p,
                             const reweigh::GradEpilogue& ep, int32_t dtype, void* g, bool stream) {
        R vlse = V::set1(ep.lse), va = V::set1(ep.a), vb = V::set1(ep.b);
        const int64_t vend = vocab - vocab % W;
        write_grad(g, dtype, vend, stream, [&](int64_t v) {
            R x = V::load(zp + v);
            R gx = V::sub(V::mul(va, V::exp(V::sub(x, vlse))), vb);
            return V::mul(gx, derivative(x, p));
        });
        for (int64_t v = vend; v < vocab; ++v) {
            store_grad_scalar(g, dtype, v, reweigh::grad_element(ep, zp[v], false, p));
        }
        store_grad_scalar(g, dtype, y, reweigh::grad_element(ep, zp[y], true, p));
        if (stream) V::fence();
    }

    static R derivative(R zp, const reweigh::RowParams& p) {
        if (p.softcap > 0.0f) {
            R t = V::mul(zp, V::set1(1.0f / p.softcap));
            return V::mul(V::set1(p.scale), V::sub(V::set1(1.0f), V::mul(t, t)));
        }
        return V::set1(p.scale);
    }

    static reweigh::RowResult forward_backward_row(const void* z, int32_t dtype, int64_t vocab, int64_t y,
                                                   const reweigh::RowParams& p, float k, void* g, float* scratch,
                                                   const reweigh::cpu::RowHints& hints) {
        float* zp_buf = scratch;
        float* e_buf = scratch + vocab;
        const bool softcap = p.softcap > 0.0f;
        float zp_y = 0.0f;  // read before g (possibly == z) is written
        reweigh::SoftmaxState st;
        float sum_zp = 0.0f;
        with_source(z, dtype, vocab, p, zp_buf, [&](const auto& zp) {
            zp_y = zp.at(y);
            st = softmax_row(zp, vocab, p.eps > 0.0f, softcap ? nullptr : e_buf, &sum_zp, hints.next_z,
                             elem_bytes(dtype));
            return 0;
        });
        reweigh::RowResult r = reweigh::row_finish(st, zp_y, sum_zp, vocab, p);
        reweigh::GradEpilogue ep = reweigh::grad_epilogue(r.lse, k, vocab, p);
        if (softcap) {
            grad_from_zp(zp_buf, vocab, y, p, ep, dtype, g, streams(z, g, dtype, vocab));
            return r;
        }
        // Pass 3 without softcap: p = e / d, dz'/dz = scale.
        const float inv_d = 1.0f / st.d;
        R va = V::set1(ep.a * inv_d * p.scale), vb = V::set1(ep.b * p.scale);
        const int64_t vend = vocab - vocab % W;
        const bool stream = streams(z, g, dtype, vocab);
        write_grad(g, dtype, vend, stream, [&](int64_t v) { return V::sub(V::mul(va, V::load(e_buf + v)), vb); });
        for (int64_t v = vend; v < vocab; ++v) {
            store_grad_scalar(g, dtype, v, (ep.a * inv_d * p.scale) * e_buf[v] - ep.b * p.scale);
        }
        store_grad_scalar(g, dtype, y, reweigh::grad_element(ep, zp_y, true, p));
        if (stream) V::fence();
        return r;
    }

    /* One pass over memory; see [Note: prefetching in the backward] and [Note: streaming the gradient]. */
    static void backward_row(const void* z, int32_t dtype, int64_t vocab, int64_t y, float lse,
                             const reweigh::RowParams& p, float k, void* g, const reweigh::cpu::RowHints& hints) {
        reweigh::GradEpilogue ep = reweigh::grad_epilogue(lse, k, vocab, p);
        const float zp_y = reweigh::transform_logit(load_scalar(z, dtype, y), p);
        R vlse = V::set1(lse), va = V::set1(ep.a), vb = V::set1(ep.b);
        const int64_t vend = vocab - vocab % W;
        const char* pf = static_cast<const char*>(hints.next_z);
        const int64_t es = elem_bytes(dtype);
        const bool stream = streams(z, g, dtype, vocab);
        write_grad(g, dtype, vend, stream, [&](int64_t v) {
            if (pf != nullptr) __builtin_prefetch(pf + v * es, 0, 2);
            R x = transform(load_row(z, dtype, v), p);
            R gx = V::sub(V::mul(va, V::exp(V::sub(x, vlse))), vb);
            return V::mul(gx, derivative(x, p));
        });
        for (int64_t v = vend; v < vocab; ++v) {
            float zp = reweigh::transform_logit(load_scalar(z, dtype, v), p);
            store_grad_scalar(g, dtype, v, reweigh::grad_element(ep, zp, false, p));
        }
        store_grad_scalar(g, dtype, y, reweigh::grad_element(ep, zp_y, true, p));
        if (stream) V::fence();
    }

    /* sum exp(x) with four accumulators, so the exp's throughput, not an add chain, is the limit. */
    static float exp_sum(const float* x, int64_t n) {
        R a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
        int64_t i = 0;
        for (; i + 4 * W <= n; i += 4 * W) {
            a0 = V::add(a0, V::exp(V::load(x + i)));
            a1 = V::add(a1, V::exp(V::load(x + i + W)));
            a2 = V::add(a2, V::exp(V::load(x + i + 2 * W)));
            a3 = V::add(a3, V::exp(V::load(x + i + 3 * W)));
        }
        float sum = V::reduce_add(V::add(V::add(a0, a1), V::add(a2, a3)));
        for (; i < n; ++i) sum += expf(x[i]);
        return sum;
    }
};

#endif
