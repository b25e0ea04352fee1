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
 *           (exp_nonpos of simd_exp.h: z' - m <= 0)
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
 * about max(read, exp) instead of the sum. At most one line is prefetched per
 * loop iteration: where an iteration covers two lines of the row (fp32 on
 * AVX-512), pass 1 prefetches the next row's second half and pass 2 its first
 * half, instead of pass 2 issuing two per iteration, which stalled it on the
 * line fill buffers (paired, 2 threads, CPU time: forward 0.75x, fused 0.82x).
 *
 * [Note: reading the next row under the exp] With a RowCarry in the hints
 * (the CE driver passes one per thread and chunk), pass 2 does not prefetch
 * the next row: it runs that row's pass 1 itself, loading its logits next to
 * the exp of this row's, and leaves the max and sum in the carry, so the next
 * row skips pass 1. The prefetch above left the loads to pass 1 whenever it
 * had not finished, and a bf16 forward on AVX-512 cost about read time plus
 * exp time; here the next row's loads go out under the exp arithmetic, and a
 * software prefetch kNextRowAhead bytes ahead of them (prefetcht1) keeps them
 * from stalling on memory latency (without it the same loop was 1.4x to 1.8x
 * slower; 2 KiB ahead paid less than 4 to 16 KiB, which measured alike).
 * Paired CPU time against the prefetch alone, 2 threads, 4096 x 32000
 * (benchmarks/README.md): forward 0.94x bf16 AVX-512, 0.90x bf16 AVX2, 0.95x
 * fp32 AVX2; forwardBackward 0.97x, 0.93x and 0.92x. Only where a loop
 * iteration covers one 64-byte line of the next row: fp32 on AVX-512 (two
 * lines) ran 1.2x to 1.5x slower this way, so it keeps the prefetch of
 * [Note: prefetching the next row]. The carried max and sum come from the
 * same accumulators in the same order as pass 1 (MaxSum), so a row's
 * statistics do not depend on the row before it (native/tests/
 * test_ce_row_carry.cpp); pass 0's softcapped copy is no raw row, so a
 * softcap takes no carry.
 *
 * [Note: the gradient under the next row's exp] The fused kernel's pass 3
 * (g = a e / d - b, streamed) is memory work with almost no arithmetic: run
 * after pass 2, nothing overlaps it. When the driver sets
 * RowCarry.defer_grad (the CE and policy drivers do, per thread and chunk),
 * a row leaves its gradient pending in the carry (PendingGrad: g, its e, a,
 * b, the target element) and returns; the next row's pass 2 writes it, one
 * 64-byte line of g per iteration (every second one for bf16 on AVX2, whose
 * pair is half a line; PendingWriter), next to its exp and the next-next
 * row's loads, then
 * finishes what is left. The two rows' e alternate between the halves of
 * scratch (unused by pass 0 without a softcap). The last row's gradient is
 * written by finish_rows(carry) at the end of the chunk. Every element is
 * the same lane function of e as in pass 3 (store order and streaming never
 * change a value), so the bits equal the undeferred kernel's (native/tests/
 * test_ce_row_carry.cpp). In place, the pending row's g is its own logits,
 * which the next row's call never reads. Only where pass 2 carries the next
 * row (defers()); a softcap, which recomputes p from z', never defers.
 * The policy step's rows with an entropy term and kept exponentials
 * (token_simd.h) leave theirs pending the same way, in the form of their own
 * lanes (EntropyLanes: z' read again from the logits, which stay intact
 * until g is written, the scalar tail computed at once), and every row
 * writes a pending gradient of either form beside its exp
 * (softmax_writing_pending).
 *
 * [Note: exp underflow] The vector exp (simd_exp.h) returns exactly 0 below
 * x = -86.2968 (true value < 3.4e-38, no subnormals); the scalar reference
 * keeps subnormals. The difference is below 3.4e-38 per element, far under any
 * tolerance, and it makes -inf logits give e = 0 without a NaN from
 * (-inf) - (-inf).
 *
 * [Note: the clamp in s] s = sum e max(kMinDelta, z' - m) clamps only so a
 * -inf logit adds 0 * kMinDelta = -0 instead of 0 * (-inf) = NaN. Below
 * kMinArg (-86.3) the vector exp is exactly 0, so for every finite z' - m
 * e (z' - m) and e max(kMinDelta, z' - m) are the same number (-0 below
 * kMinDelta), and a NaN z' - m passes max unchanged (max returns its second
 * operand on a NaN). Pass 2's vector loops therefore sum e (z' - m) without
 * the max, one instruction per vector less; a row whose s comes out NaN (a
 * -inf logit, or a NaN or +inf one, which make d NaN as well) sums s again
 * with the clamp, in the same order, so every row's s has the bits of the
 * clamped sum (native/tests/test_ce_masked_logits.cpp). Rows with -inf
 * logits pay a second exp pass.
 *
 * [Note: row sources] A source is the row as passes 1 and 2 see it: load(v)
 * gives W transformed logits z' as fp32 lanes, at(v) one of them as a float,
 * with the same arithmetic (bf16 widening is exact; the scale is one multiply
 * either way), so the vector body and the scalar tail agree bit for bit.
 *
 * [Note: bf16 lane order] The gradient loops take 2W logits at a time as a
 * pair of vectors (Pair). In the backward, a bf16 pair is one 4W-byte load
 * split by a shift (the even elements) and a mask (the odd ones), one
 * instruction per vector instead of a widening shuffle and a shift, and the
 * gradient goes back the same way: each lane rounded to bf16 (RNE, NaN kept
 * quiet, as float_to_bf16), the even lanes shifted down and merged with the
 * odd ones in one instruction, one store per pair (AVX2: 4.60 instructions
 * per logit against 7.51). The math is per lane, so every element gets the
 * same value whichever pair, vector or overlapping tail computes it, and the
 * pairs can start at the gradient's first 64-byte line. Passes 1 to 3 of the
 * fused kernel keep memory order: their sums follow the row's layout, so a
 * bf16 row gives the statistics of the same row widened to fp32 bit for bit
 * (the policy kernels' one-pass vs two-phase equality relies on it).
 *
 * [Note: bf16 gradients without NaN] Rounding to bf16 costs four
 * instructions per vector plus two (AVX-512) or three (AVX2) to keep a NaN
 * a NaN: adding 0x7fff + lsb to a NaN whose low 16 bits are 0x8000 or more
 * can carry out of the payload. The gradient pair stores skip that fix-up
 * (kNaN false) where no such NaN can occur, bit-identical to rounding with
 * it:
 *   - the fused kernel's pass 3: every cached e lies in [0, 1] when
 *     d = sum e is finite (a NaN or +inf logit makes d NaN), so with d and
 *     the row's coefficients a and b finite, a e - b is a number or an
 *     overflowed infinity, never a NaN;
 *   - the backward (bf16 logits, so a bf16 gradient): with lse, a, b, the
 *     scale and the softcap not NaN, a NaN lane comes from a NaN logit,
 *     whose low 16 bits are zero and stay zero through the lane arithmetic
 *     (x86 propagates the NaN operand's payload, quieted, or makes the
 *     default NaN 0x7fc00000); rounding adds at most 0x8000 to such a lane
 *     and leaves its upper half, the bf16 NaN, unchanged.
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

/*
 * The gradient writers take their loop bodies as lambdas returning pairs of
 * vectors: inlined, those stay in registers; GCC outlined them at -O3 and
 * passed the pairs through memory (+2 instructions per logit, AVX2 backward).
 */
#define REWEIGH_SIMD_INLINE __attribute__((always_inline)) inline
#define REWEIGH_SIMD_LAMBDA __attribute__((always_inline))

template <class V>
struct SimdRowKernels {
    using R = typename V::R;
    static constexpr int64_t W = V::W;

    /* Smallest delta fed to e * delta: keeps 0 * (-inf) out of s ([Note: the clamp in s]). */
    static constexpr float kMinDelta = -100.0f;

    /* How far ahead of its loads pass 2 prefetches the next row it reads ([Note: reading the next row under the exp]). */
    static constexpr int64_t kNextRowAhead = 4096;

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

    /* 2W lanes; see [Note: bf16 lane order]. */
    struct Pair {
        R a, b;
    };

    /*
     * Writes the 2W gradient elements of pair x at v: in memory order, or,
     * kInterleaved (the lanes of a bf16 source), a holding the even elements
     * and b the odd ones. nt: non-temporal (g + v aligned to the bytes written).
     * kNaN false: the caller knows x holds no NaN, so bf16 rounding skips the
     * quiet-NaN fix-up ([Note: bf16 gradients without NaN]).
     */
    template <bool kInterleaved, bool kNaN = true>
    REWEIGH_SIMD_INLINE static void store_pair(void* g, int32_t dtype, int64_t v, const Pair& x, bool nt) {
        if (dtype == REWEIGH_DTYPE_F32) {
            float* gf = static_cast<float*>(g) + v;
            if (nt) {
                V::stream(gf, x.a);
                V::stream(gf + W, x.b);
            } else {
                V::store(gf, x.a);
                V::store(gf + W, x.b);
            }
            return;
        }
        uint16_t* gh = static_cast<uint16_t*>(g) + v;
        if (kInterleaved) {
            if (nt) {
                V::stream_bits(gh, V::template bf16_pair_bits<kNaN>(x.a, x.b));
            } else {
                V::store_bits(gh, V::template bf16_pair_bits<kNaN>(x.a, x.b));
            }
        } else if (nt) {
            V::stream_bits(gh, V::template bf16_ordered_bits<kNaN>(x.a, x.b));
        } else {
            V::store_bits(gh, V::template bf16_ordered_bits<kNaN>(x.a, x.b));
        }
    }

    /* Rows at least this long stream a separate gradient buffer: see [Note: streaming the gradient]. */
    static constexpr int64_t kStreamRowBytes = int64_t{1} << 15;

    static bool streams(const void* z, const void* g, int32_t dtype, int64_t vocab) {
        return g != z && vocab * elem_bytes(dtype) >= kStreamRowBytes &&
               reinterpret_cast<uintptr_t>(g) % static_cast<uintptr_t>(elem_bytes(dtype)) == 0;
    }

    /* Pairs of bf16 per 64-byte line (a pair of fp32 fills one line or two). */
    static constexpr int kBf16PairsPerLine = 4 * W >= 64 ? 1 : static_cast<int>(64 / (4 * W));

    /*
     * Writes the gradient pairs at(v) for v = h, h + 2W, ... below vend2
     * (vend2 - h a multiple of 2W). Streaming, each line's stores are issued
     * back to back so it leaves the write-combining buffer whole ([Note:
     * streaming the gradient]). In memory order the lanes do not depend on
     * where a pair starts, so the pairs before g's first line boundary and the
     * last one go out with ordinary stores, overlapping the streamed lines
     * with the same values; interleaved pairs sit on the source's lines
     * ([Note: bf16 lane order]) and stream only when g's lines match.
     */
    template <bool kInterleaved, bool kNaN, class At>
    REWEIGH_SIMD_INLINE static void write_grad(void* g, int32_t dtype, int64_t h, int64_t vend2, bool stream, At&& at) {
        const int64_t es = elem_bytes(dtype);
        const int64_t pair = 2 * W;
        int64_t v = h;
        const uintptr_t misalign = (reinterpret_cast<uintptr_t>(g) + static_cast<uintptr_t>(h * es)) % 64;
        if (stream && misalign != 0) {
            if (kInterleaved || vend2 - h < 64 / es + 2 * pair) {
                stream = false;
            } else {
                const int64_t first = h + static_cast<int64_t>((64 - misalign) / static_cast<uintptr_t>(es));
                for (; v < first; v += pair) store_pair<kInterleaved, kNaN>(g, dtype, v, at(v), false);
                v = first;
            }
        }
        if (stream) {
            v = dtype == REWEIGH_DTYPE_F32 ? stream_lines<kInterleaved, kNaN, 1>(g, dtype, v, vend2, at)
                                           : stream_lines<kInterleaved, kNaN, kBf16PairsPerLine>(g, dtype, v, vend2, at);
        }
        for (; v + pair <= vend2; v += pair) store_pair<kInterleaved, kNaN>(g, dtype, v, at(v), false);
        if (v < vend2) store_pair<kInterleaved, kNaN>(g, dtype, vend2 - pair, at(vend2 - pair), false);
    }

    /* Streams U pairs at a time from v (on a line of g); returns where it stopped. */
    template <bool kInterleaved, bool kNaN, int U, class At>
    REWEIGH_SIMD_INLINE static int64_t stream_lines(void* g, int32_t dtype, int64_t v, int64_t vend2, At& at) {
        for (; v + U * 2 * W <= vend2; v += U * 2 * W) {
            Pair r[U];
            for (int u = 0; u < U; ++u) r[u] = at(v + u * 2 * W);
            for (int u = 0; u < U; ++u) store_pair<kInterleaved, kNaN>(g, dtype, v + u * 2 * W, r[u], true);
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

    /* Row sources: see [Note: row sources] and [Note: bf16 lane order]. */
    struct F32Src {
        static constexpr bool kInterleaved = false;
        const float* z;
        const void* row() const { return z; }
        F32Src at_row(const void* r) const { return F32Src{static_cast<const float*>(r)}; }
        R load(int64_t v) const { return V::load(z + v); }
        Pair load2(int64_t v) const { return Pair{V::load(z + v), V::load(z + v + W)}; }
        float at(int64_t v) const { return z[v]; }
    };
    struct Bf16Src {
        static constexpr bool kInterleaved = true;
        const uint16_t* z;
        const void* row() const { return z; }
        Bf16Src at_row(const void* r) const { return Bf16Src{static_cast<const uint16_t*>(r)}; }
        R load(int64_t v) const { return V::load_bf16(z + v); }
        Pair load2(int64_t v) const {
            Pair x;
            V::load_bf16_pair(z + v, x.a, x.b);
            return x;
        }
        float at(int64_t v) const { return reweigh::bf16_to_float(z[v]); }
    };
    /*
     * x rounded to fp32 where it is computed: GCC contracts a multiply into a
     * later add or subtract (-ffp-contract=fast) where it chooses, which
     * differs between inlined copies of the same loop; a scaled logit z' is
     * the product rounded in every pass and kernel ([Note: row sources]).
     */
    REWEIGH_SIMD_INLINE static R rounded(R x) {
        __asm__("" : "+v"(x));
        return x;
    }
    template <class S>
    struct ScaledSrc {
        static constexpr bool kInterleaved = S::kInterleaved;
        S inner;
        float scale;
        const void* row() const { return inner.row(); }
        ScaledSrc at_row(const void* r) const { return ScaledSrc{inner.at_row(r), scale}; }
        R load(int64_t v) const { return rounded(V::mul(inner.load(v), V::set1(scale))); }
        Pair load2(int64_t v) const {
            const Pair x = inner.load2(v);
            return Pair{rounded(V::mul(x.a, V::set1(scale))), rounded(V::mul(x.b, V::set1(scale)))};
        }
        float at(int64_t v) const { return reweigh::rounded_float(inner.at(v) * scale); }
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
     * Pass 1's accumulators: max of z' (and sum z' for label smoothing), two
     * of each to hide the latency. One type for the row's own pass 1 and the
     * next row's pass 1 inside pass 2, so both give the same bits.
     */
    struct MaxSum {
        R m0 = V::set1(-INFINITY), m1 = V::set1(-INFINITY);
        R s0 = V::zero(), s1 = V::zero();

        REWEIGH_SIMD_INLINE void pair(R a, R b, bool want_sum) {
            m0 = V::max(m0, a);
            m1 = V::max(m1, b);
            if (want_sum) {
                s0 = V::add(s0, a);
                s1 = V::add(s1, b);
            }
        }
        REWEIGH_SIMD_INLINE void one(R a, bool want_sum) {
            m0 = V::max(m0, a);
            if (want_sum) s0 = V::add(s0, a);
        }
        /* Reduces the lanes and adds the scalar tail [v, vocab). */
        template <class Src>
        REWEIGH_SIMD_INLINE void finish(const Src& zp, int64_t v, int64_t vocab, bool want_sum, float* m_out,
                                        float* sum_out) const {
            float m = V::reduce_max(V::max(m0, m1));
            float sum = want_sum ? V::reduce_add(V::add(s0, s1)) : 0.0f;
            for (; v < vocab; ++v) {
                const float x = zp.at(v);
                if (x > m) m = x;  // a NaN is not lost: pass 2 sums exp(NaN - m) into d
                sum += x;
            }
            *m_out = m;
            *sum_out = sum;
        }
    };

    /*
     * Passes 1 and 2 over the source's z'; e_out (nullable) receives exp(z' - m).
     * Returns the softmax state and sum z'. carry (nullable; the source is the
     * row's logits, not pass 0's copy): see [Note: reading the next row under
     * the exp].
     */
    template <class Src>
    static reweigh::SoftmaxState softmax_row(const Src& zp, int64_t vocab, bool want_sum, float* e_out,
                                             float* sum_out, const void* next_z, int64_t next_es,
                                             reweigh::cpu::RowCarry* carry = nullptr) {
        NoNextRow none;
        return softmax_row_with(zp, vocab, want_sum, e_out, sum_out, next_z, next_es, carry, none);
    }

    /* softmax_row whose exp pass also runs extra.pair(v) each iteration (a PendingWriter or nothing). */
    template <class Src, class Extra>
    static reweigh::SoftmaxState softmax_row_with(const Src& zp, int64_t vocab, bool want_sum, float* e_out,
                                                  float* sum_out, const void* next_z, int64_t next_es,
                                                  reweigh::cpu::RowCarry* carry, Extra& extra) {
        // See [Note: prefetching the next row]: at most one line per iteration of passes 1 and 2.
        const bool split = 2 * W * next_es > 64;
        if (split) carry = nullptr;  // [Note: reading the next row under the exp]: one line per iteration
        const char* pf = carry != nullptr ? nullptr : static_cast<const char*>(next_z);
        const int64_t half = vocab * next_es / 2 / 64 * 64;
        float m = 0.0f, sum = 0.0f;
        int64_t v = 0;
        if (carry != nullptr && carry->z == zp.row()) {
            m = carry->m;
            sum = carry->sum;
        } else {
            MaxSum acc;
            for (; v + 2 * W <= vocab; v += 2 * W) {
                if (pf != nullptr && split) __builtin_prefetch(pf + half + v * next_es / 2, 0 /* read */, 2 /* to L2 */);
                acc.pair(zp.load(v), zp.load(v + W), want_sum);
            }
            for (; v + W <= vocab; v += W) acc.one(zp.load(v), want_sum);
            acc.finish(zp, v, vocab, want_sum, &m, &sum);
        }
        *sum_out = sum;

        reweigh::SoftmaxState st;
        st.m = m;
        if (m == -INFINITY) {  // every logit masked: no mass
            if (carry != nullptr) carry->z = nullptr;
            st.d = 0.0f;
            st.s = 0.0f;
            if (e_out) {
                for (int64_t i = 0; i < vocab; ++i) e_out[i] = 0.0f;
            }
            return st;
        }
        NoNextRow none;
        if (carry == nullptr) {
            Both<NoNextRow, Extra> hooks{none, extra};
            return exp_pass(zp, vocab, m, e_out, pf, split, next_es, hooks);
        }
        if (next_z == nullptr) {
            carry->z = nullptr;
            Both<NoNextRow, Extra> hooks{none, extra};
            return exp_pass(zp, vocab, m, e_out, nullptr, false, next_es, hooks);
        }
        NextRow<Src> next{zp.at_row(next_z), want_sum, MaxSum{}, static_cast<const char*>(next_z), next_es};
        Both<NextRow<Src>, Extra> hooks{next, extra};
        st = exp_pass(zp, vocab, m, e_out, nullptr, false, next_es, hooks);
        next.acc.finish(next.src, vocab - vocab % W, vocab, want_sum, &carry->m, &carry->sum);
        carry->z = next_z;
        return st;
    }

    /* What pass 2 does besides the exp: nothing, or the next row's pass 1. */
    struct NoNextRow {
        REWEIGH_SIMD_INLINE void pair(int64_t) {}
        REWEIGH_SIMD_INLINE void one(int64_t) {}
    };
    template <class Src>
    struct NextRow {
        Src src;
        bool want_sum;
        MaxSum acc;
        const char* pf;  // the next row's bytes, kNextRowAhead past those this iteration loads
        int64_t es;
        REWEIGH_SIMD_INLINE void pair(int64_t v) {
            __builtin_prefetch(pf + v * es + kNextRowAhead, 0 /* read */, 2 /* to L2 */);
            acc.pair(src.load(v), src.load(v + W), want_sum);
        }
        REWEIGH_SIMD_INLINE void one(int64_t v) { acc.one(src.load(v), want_sum); }
    };

    /* Two hooks of pass 2 on the same offsets. */
    template <class A, class B>
    struct Both {
        A& a;
        B& b;
        REWEIGH_SIMD_INLINE void pair(int64_t v) {
            a.pair(v);
            b.pair(v);
        }
        REWEIGH_SIMD_INLINE void one(int64_t v) {
            a.one(v);
            b.one(v);
        }
    };

    /*
     * Pass 2: e = exp(z' - m), d = sum e, s = sum e (z' - m); next runs beside it on the same offsets.
     * kClamp: s sums e max(kMinDelta, z' - m) in the vector loops too ([Note: the clamp in s]).
     */
    template <class Src, class Next, bool kClamp = false>
    REWEIGH_SIMD_INLINE static reweigh::SoftmaxState exp_pass(const Src& zp, int64_t vocab, float m, float* e_out,
                                                               const char* pf, bool split, int64_t next_es,
                                                               Next& next) {
        R vm = V::set1(m), vmin = V::set1(kMinDelta);
        const auto delta = [&](R x) REWEIGH_SIMD_LAMBDA { return kClamp ? V::max(vmin, x) : x; };
        R d0 = V::zero(), d1 = V::zero(), q0 = V::zero(), q1 = V::zero();
        int64_t v = 0;
        for (; v + 2 * W <= vocab; v += 2 * W) {
            if (pf != nullptr) __builtin_prefetch(pf + (split ? v * next_es / 2 : v * next_es), 0, 2);
            next.pair(v);
            R x0 = V::sub(zp.load(v), vm), x1 = V::sub(zp.load(v + W), vm);
            R e0 = V::exp_nonpos(x0), e1 = V::exp_nonpos(x1);
            d0 = V::add(d0, e0);
            d1 = V::add(d1, e1);
            q0 = V::fmadd(e0, delta(x0), q0);
            q1 = V::fmadd(e1, delta(x1), q1);
            if (e_out) {
                V::store(e_out + v, e0);
                V::store(e_out + v + W, e1);
            }
        }
        for (; v + W <= vocab; v += W) {
            next.one(v);
            R x0 = V::sub(zp.load(v), vm);
            R e0 = V::exp_nonpos(x0);
            d0 = V::add(d0, e0);
            q0 = V::fmadd(e0, delta(x0), q0);
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
        if (!kClamp && isnan(s)) s = clamped_s(zp, vocab, m);  // a -inf, NaN or +inf z': [Note: the clamp in s]
        reweigh::SoftmaxState st;
        st.m = m;
        st.d = d;
        st.s = s;
        return st;
    }

    /* s as exp_pass sums it with the clamp ([Note: the clamp in s]); out of line, so the hot loop's caller inlines as before. */
    template <class Src>
    __attribute__((noinline, cold)) static float clamped_s(const Src& zp, int64_t vocab, float m) {
        NoNextRow none;
        return exp_pass<Src, NoNextRow, true>(zp, vocab, m, nullptr, nullptr, false, 0, none).s;
    }

    static int64_t elem_bytes(int32_t dtype) { return dtype == REWEIGH_DTYPE_F32 ? 4 : 2; }

    /* The carry when the source is the row's own logits (a softcap reads pass 0's copy instead). */
    static reweigh::cpu::RowCarry* raw_carry(const reweigh::cpu::RowHints& hints, const reweigh::RowParams& p) {
        return p.softcap > 0.0f ? nullptr : hints.carry;
    }

    static reweigh::RowResult forward_row(const void* z, int32_t dtype, int64_t vocab, int64_t y,
                                          const reweigh::RowParams& p, float* scratch,
                                          const reweigh::cpu::RowHints& hints) {
        return with_source(z, dtype, vocab, p, scratch, [&](const auto& zp) {
            float sum_zp = 0.0f;
            reweigh::SoftmaxState st = softmax_row(zp, vocab, p.eps > 0.0f, nullptr, &sum_zp, hints.next_z,
                                                   elem_bytes(dtype), raw_carry(hints, p));
            return reweigh::row_finish(st, zp.at(y), sum_zp, vocab, p);
        });
    }

    /*
     * Writes g[0, vocab) = f(lanes) over src: the elements below vend1 = vocab
     * - vocab % W as vectors (pairs from h through write_grad in lane order
     * kInterleaved, whole vectors before h and after the last pair, the last
     * one overlapping the pairs when h is not a multiple of W), the rest with
     * fs(v), as the scalar code would. f is per lane, so an element's value is
     * the same in a pair, a vector or an overlap, whatever h is. Interleaved
     * pairs start at g's first 64-byte line when streaming (h > 0 only then,
     * never in place), so they stream whole lines. pf (nullable): the next
     * row, prefetched at the offsets read ([Note: prefetching in the
     * backward]). The caller writes the target element and fences a stream.
     */
    template <bool kInterleaved, bool kNaN = true, class Src, class F, class Fs>
    REWEIGH_SIMD_INLINE static void write_row(void* g, int32_t dtype, int64_t vocab, bool stream, const Src& src,
                                              const char* pf, F&& f, Fs&& fs) {
        const int64_t vend1 = vocab - vocab % W;
        const int64_t es = elem_bytes(dtype);
        const uintptr_t misalign = reinterpret_cast<uintptr_t>(g) % 64;
        int64_t h = 0;
        if (kInterleaved && stream && misalign % static_cast<uintptr_t>(es) == 0) {
            h = static_cast<int64_t>((64 - misalign) % 64 / static_cast<uintptr_t>(es));
            if (h + 2 * W > vend1) h = 0;
        }
        int64_t v = 0;
        for (; v < h; v += W) store_grad(g, dtype, v, f(src.load(v)));
        const int64_t vend2 = h + (vend1 - h) / (2 * W) * (2 * W);
        // One more prefetch than a 64-byte pair needs keeps this branch-free; see [Note: prefetching in the backward].
        write_grad<kInterleaved, kNaN>(g, dtype, h, vend2, stream, [&](int64_t u) REWEIGH_SIMD_LAMBDA {
            if (pf != nullptr) {
                __builtin_prefetch(pf + u * es, 0, 2);
                __builtin_prefetch(pf + u * es + 64, 0, 2);
            }
            const Pair x = src.load2(u);
            return Pair{f(x.a), f(x.b)};
        });
        for (v = vend2; v + W <= vend1; v += W) store_grad(g, dtype, v, f(src.load(v)));
        if (v < vend1) store_grad(g, dtype, vend1 - W, f(src.load(vend1 - W)));
        for (v = vend1; v < vocab; ++v) store_grad_scalar(g, dtype, v, fs(v));
    }

    /*
     * The entropy term's gradient lane (common/token_row.h, token_simd.h):
     * p (c0 - kb max(delta, -100)) - b with vnkb = -kb, vnb = -b, delta = z' - lse.
     */
    REWEIGH_SIMD_INLINE static R entropy_lane(R prob, R delta, R vc0, R vnkb, R vnb) {
        return V::fmadd(prob, V::fmadd(vnkb, V::max(delta, V::set1(-100.0f)), vc0), vnb);
    }

    /* A pending gradient's lanes of the form kb = 0 (ce_kernels.h PendingGrad): a e - b (a e when !kSub). */
    template <bool kSub>
    struct PlainLanes {
        const reweigh::cpu::PendingGrad& pg;
        R va, vb;
        explicit PlainLanes(const reweigh::cpu::PendingGrad& g) : pg(g), va(V::set1(g.a)), vb(V::set1(g.b)) {}
        REWEIGH_SIMD_INLINE R f(R x) const { return kSub ? V::sub(V::mul(va, x), vb) : V::mul(va, x); }
        REWEIGH_SIMD_INLINE R load(int64_t v) const { return f(V::load(pg.e + v)); }
        REWEIGH_SIMD_INLINE Pair load2(int64_t v) const {
            const Pair x = F32Src{pg.e}.load2(v);
            return Pair{f(x.a), f(x.b)};
        }
        float at(int64_t v, int64_t) const { return pg.a * pg.e[v] - pg.b; }
    };

    /*
     * The form kb != 0: token_simd.h's kept entropy lanes (p = e / d, z' from
     * the logits, kF32 their dtype, kScaled a logit scale) in the same
     * operations, so the bits are those of the row written at once. kExpanded
     * (bf16 rows whose constants pass expands()): the same lane multiplied
     * out, see [Note: the expanded entropy lane].
     *
     * [Note: the expanded entropy lane] With p = e / d, delta = s z - lse
     * (s the logit scale) and c0 = a - kb H, the lane
     *   g = [p (c0 - kb delta) - b] s = e (A + B z) - b s,
     *   A = s (c0 + kb lse) / d,  B = -kb s^2 / d,
     * is one fma for A + B z and one for e (.) - b s after the load and
     * widening, against six to eight vector operations for the lane as
     * written (the pending writer runs it under the next row's exp, which is
     * partly ALU-bound in bf16). Clamping z below at zlo = (lse - 100) / s
     * is delta's max(., -100) (s > 0): it keeps A + B z finite for -inf
     * logits, which NaN-free rows may hold (e = 0, and 0 (-inf) would be
     * NaN); where it acts, e is 0 already (z' - m = delta + log d < -86.3,
     * [Note: exp underflow]). The cost is cancellation in A + B z where z'
     * is near lse: one rounding of 2^-24 (|A| + |B z|), about 2^-24 |kb|
     * (|c0 / kb| + |lse| + s |z|) s / d, where the lane as written rounds
     * 2^-24 |kb delta| s / d. bf16 rounds the element to 2^-9 of itself, far
     * above that unless the element cancels to near 0 too, so only bf16 rows
     * take the expanded lane; fp32 rows keep the lane as written. A and B are
     * rounded once from double. The row written at once and the pending row
     * use the same writer, so they agree bit for bit (native/tests/
     * test_ce_policy.cpp KeptEntropyRowsWithShiftedAndMaskedLogits: lse up
     * to about 70 and masked logits, at the float64 reference's tolerance).
     */
    template <bool kF32, bool kScaled, bool kExpanded = false>
    struct EntropyLanes {
        const reweigh::cpu::PendingGrad& pg;
        R vlse, vinv_d, vc0, vnkb, vnb, vscale;
        R va, vbz, vzlo, vnbs;
        explicit EntropyLanes(const reweigh::cpu::PendingGrad& g)
            : pg(g), vlse(V::set1(g.lse)), vinv_d(V::set1(g.a)), vc0(V::set1(g.c0)), vnkb(V::set1(-g.kb)),
              vnb(V::set1(-g.b)), vscale(V::set1(g.scale)) {
            if (!kExpanded) return;
            const Expanded x = expanded(g);
            va = V::set1(x.a);
            vbz = V::set1(x.bz);
            vzlo = V::set1(x.zlo);
            vnbs = V::set1(x.nbs);
        }

        /* The expanded lane's constants: g = e (a + bz z) + nbs for z >= zlo. */
        struct Expanded {
            float a, bz, zlo, nbs;
        };
        static Expanded expanded(const reweigh::cpu::PendingGrad& g) {
            // In double, so each constant is rounded once.
            const double s = g.scale, inv_d = g.a, kb = g.kb;
            return Expanded{static_cast<float>(inv_d * s * (static_cast<double>(g.c0) + kb * g.lse)),
                            static_cast<float>(-inv_d * kb * s * s),
                            static_cast<float>((static_cast<double>(g.lse) + kMinDelta) / s),
                            static_cast<float>(-static_cast<double>(g.b) * s)};
        }
        /*
         * Whether the expanded lane applies: a positive scale (so z < zlo is
         * delta < -100) and, with no NaN among the row's constants and d
         * finite (nan_free), finite constants, so a lane's a + bz max(z, zlo)
         * is finite for any logit, -inf included.
         */
        static bool expands(const reweigh::cpu::PendingGrad& g) {
            if (!g.nan_free || !(g.scale > 0.0f)) return false;
            const Expanded x = expanded(g);
            return isfinite(x.a) && isfinite(x.bz) && isfinite(x.zlo) && isfinite(x.nbs);
        }

        REWEIGH_SIMD_INLINE R load(int64_t v) const {
            R x = kF32 ? V::load(static_cast<const float*>(pg.z) + v)
                       : V::load_bf16(static_cast<const uint16_t*>(pg.z) + v);
            if (kExpanded) return V::fmadd(V::load(pg.e + v), V::fmadd(vbz, V::max(x, vzlo), va), vnbs);
            if (kScaled) x = V::mul(x, vscale);
            const R delta = V::sub(x, vlse);
            const R gx = entropy_lane(V::mul(V::load(pg.e + v), vinv_d), delta, vc0, vnkb, vnb);
            return kScaled ? V::mul(gx, vscale) : gx;
        }
        REWEIGH_SIMD_INLINE Pair load2(int64_t v) const { return Pair{load(v), load(v + W)}; }
        float at(int64_t v, int64_t vend1) const { return pg.tail[v - vend1]; }
    };

    /*
     * Writes a pending gradient (lanes L over the row's e: PlainLanes, the
     * fused row's pass 3, or EntropyLanes) the way that row would have
     * written it at once (write_row over e in memory order), so the bits are
     * the same: the constructor writes the pairs before g's first 64-byte line
     * when streaming, each pair(v) call one line's worth of pairs (streamed,
     * or ordinary stores in place), finish() everything left, the target
     * element and the fence. See [Note: the gradient under the next row's
     * exp].
     */
    template <bool kNaN, bool kBf16, class L>
    struct PendingWriter {
        /* Pairs per 64-byte line of g (an fp32 pair fills one or two). */
        static constexpr int kU = kBf16 ? kBf16PairsPerLine : 1;
        /* pg.dtype: with_writer picks kBf16 from it, and store_pair tells only F32 from the rest. */
        static constexpr int32_t kDtype = kBf16 ? REWEIGH_DTYPE_BF16 : REWEIGH_DTYPE_F32;
        reweigh::cpu::PendingGrad& pg;
        L lanes;
        int64_t vend1, vend2, u = 0;
        bool stream;

        explicit PendingWriter(reweigh::cpu::PendingGrad& g)
            : pg(g), lanes(g), vend1(g.vocab - g.vocab % W), vend2(vend1 / (2 * W) * (2 * W)), stream(g.stream) {
            const int64_t es = elem_bytes(pg.dtype);
            const uintptr_t misalign = reinterpret_cast<uintptr_t>(pg.g) % 64;
            if (stream && misalign != 0) {  // as write_grad from h = 0
                if (vend2 < 64 / es + 2 * (2 * W)) {
                    stream = false;
                } else {
                    const int64_t first = static_cast<int64_t>((64 - misalign) / static_cast<uintptr_t>(es));
                    for (; u < first; u += 2 * W) store_pair<false, kNaN>(pg.g, pg.dtype, u, lanes.load2(u), false);
                    u = first;
                }
            }
        }
        REWEIGH_SIMD_INLINE void pair(int64_t v) {
            // kU pairs every kU-th iteration: the line's stores back to back, at the exp's pace.
            if (v % (kU * 2 * W) != 0 || u + kU * 2 * W > vend2) return;
            // Locals: the stores may alias the writer and pg, which the compiler would reload after each one.
            const int64_t at = u;
            void* const g = pg.g;
            const bool nt = stream;
            Pair r[kU];
            for (int i = 0; i < kU; ++i) r[i] = lanes.load2(at + i * 2 * W);
            for (int i = 0; i < kU; ++i) store_pair<false, kNaN>(g, kDtype, at + i * 2 * W, r[i], nt);
            u = at + kU * 2 * W;
        }
        REWEIGH_SIMD_INLINE void one(int64_t) {}
        void finish() {
            void* g = pg.g;
            const int32_t dtype = pg.dtype;
            write_grad<false, kNaN>(g, dtype, u, vend2, stream,
                                    [&](int64_t v) REWEIGH_SIMD_LAMBDA { return lanes.load2(v); });
            int64_t v = vend2;
            for (; v + W <= vend1; v += W) store_grad(g, dtype, v, lanes.load(v));
            if (v < vend1) store_grad(g, dtype, vend1 - W, lanes.load(vend1 - W));
            for (v = vend1; v < pg.vocab; ++v) store_grad_scalar(g, dtype, v, lanes.at(v, vend1));
            store_grad_scalar(g, dtype, pg.y, pg.gy);
            if (stream) V::fence();
            pg.g = nullptr;
        }
    };

    /* Calls fn(writer) with the PendingWriter instance pg needs. */
    template <class Fn>
    static void with_writer(reweigh::cpu::PendingGrad& pg, Fn&& fn) {
        if (pg.dtype == REWEIGH_DTYPE_F32) {
            with_writer_of<false>(pg, fn);
        } else {
            with_writer_of<true>(pg, fn);
        }
    }
    template <bool kBf16, class Fn>
    static void with_writer_of(reweigh::cpu::PendingGrad& pg, Fn& fn) {
        if (pg.kb != 0.0f) {
            if (pg.nan_free) {
                with_entropy_writer<false, kBf16>(pg, fn);
            } else {
                with_entropy_writer<true, kBf16>(pg, fn);
            }
        } else if (pg.nan_free) {
            if (pg.b == 0.0f) {
                PendingWriter<false, kBf16, PlainLanes<false>> w(pg);
                fn(w);
            } else {
                PendingWriter<false, kBf16, PlainLanes<true>> w(pg);
                fn(w);
            }
        } else if (pg.b == 0.0f) {
            PendingWriter<true, kBf16, PlainLanes<false>> w(pg);
            fn(w);
        } else {
            PendingWriter<true, kBf16, PlainLanes<true>> w(pg);
            fn(w);
        }
    }

    template <bool kNaN, bool kBf16, class Fn>
    static void with_entropy_writer(reweigh::cpu::PendingGrad& pg, Fn& fn) {
        if constexpr (kBf16 && !kNaN) {
            if (EntropyLanes<false, false, true>::expands(pg)) {
                PendingWriter<false, true, EntropyLanes<false, false, true>> w(pg);
                fn(w);
                return;
            }
        }
        if (pg.scale != 1.0f) {
            PendingWriter<kNaN, kBf16, EntropyLanes<!kBf16, true>> w(pg);
            fn(w);
        } else {
            PendingWriter<kNaN, kBf16, EntropyLanes<!kBf16, false>> w(pg);
            fn(w);
        }
    }

    static void flush_pending(reweigh::cpu::PendingGrad& pg) {
        with_writer(pg, [](auto& w) { w.finish(); });
    }

    /*
     * softmax_row over a raw row with carry (raw_carry; NULL with a softcap), writing a gradient
     * pending in it beside the exp ([Note: the gradient under the next row's exp]).
     */
    template <class Src>
    static reweigh::SoftmaxState softmax_writing_pending(const Src& zp, int64_t vocab, bool want_sum, float* e_out,
                                                         float* sum_out, const void* next_z, int64_t next_es,
                                                         reweigh::cpu::RowCarry* carry) {
        if (carry == nullptr || carry->pending.g == nullptr) {
            return softmax_row(zp, vocab, want_sum, e_out, sum_out, next_z, next_es, carry);
        }
        reweigh::SoftmaxState st;
        with_writer(carry->pending, [&](auto& w) {
            st = softmax_row_with(zp, vocab, want_sum, e_out, sum_out, next_z, next_es, carry, w);
            w.finish();
        });
        return st;
    }

    /*
     * g = (a exp(z' - lse) - b) dz'/dz over src: the raw logits (raw, the
     * backward) or z' itself (the fused kernel's softcapped copy). With b = 0, scale = 1 and no softcap the
     * subtraction and the multiply are exact identities, so they are skipped.
     */
    template <class Src, class ZpAt>
    static void grad_from_lse(const Src& src, bool raw, int64_t vocab, int64_t y, float zp_y, const reweigh::RowParams& p,
                              const reweigh::GradEpilogue& ep, int32_t dtype, void* g, bool stream, const char* pf,
                              ZpAt&& zp_at) {
        const R vlse = V::set1(ep.lse), va = V::set1(ep.a), vb = V::set1(ep.b);
        auto fs = [&](int64_t v) { return reweigh::grad_element(ep, zp_at(v), false, p); };
        // [Note: bf16 gradients without NaN]: with no NaN among the row's constants, a NaN lane comes from a logit.
        const bool logit_nans_only = !isnan(ep.lse) && !isnan(ep.a) && !isnan(ep.b) && !isnan(p.scale) && !isnan(p.softcap);
        auto write = [&](auto&& f) REWEIGH_SIMD_LAMBDA {
            if (logit_nans_only) write_row<Src::kInterleaved, false>(g, dtype, vocab, stream, src, pf, f, fs);
            else write_row<Src::kInterleaved>(g, dtype, vocab, stream, src, pf, f, fs);
        };
        if (ep.b == 0.0f && p.scale == 1.0f && p.softcap <= 0.0f) {
            if (V::kExpOverNonpos < 2 || overlaps(g, src.row(), vocab * elem_bytes(dtype))) {
                scaled_exp_row<false>(src, vocab, ep, logit_nans_only, dtype, g, stream, pf, fs);
            } else if (!(scaled_exp_row<true>(src, vocab, ep, logit_nans_only, dtype, g, stream, pf, fs) <= 0.0f)) {
                scaled_exp_row_any(src, vocab, ep, logit_nans_only, dtype, g, stream, pf, fs);
            }
        } else {
            write([&](R z) REWEIGH_SIMD_LAMBDA {
                const R x = raw ? transform(z, p) : z;
                const R gx = V::sub(V::mul(va, V::exp(V::sub(x, vlse))), vb);
                return V::mul(gx, derivative(x, p));
            });
        }
        store_grad_scalar(g, dtype, y, reweigh::grad_element(ep, zp_y, true, p));
        if (stream) V::fence();
    }

    /*
     * g = a exp(z - lse) over the row (grad_from_lse with b = 0, scale 1, no
     * softcap). kNonpos: exp_nonpos, which equals exp bit for bit where
     * z - lse <= 0 or NaN (simd_exp.h), the case of every lse the forward
     * computes (lse >= max z); returns max(z - lse) over the vector lanes, a
     * NaN lane left out (vmaxps returns its second operand), so the caller
     * writes the row again with exp when it is > 0. Otherwise exp; returns 0.
     * The guard's vmaxps costs one instruction per vector, so only an exp
     * with two more than exp_nonpos (V::kExpOverNonpos: AVX2's clamp and
     * * 2) gains, and only a gradient apart from its logits can be written
     * again (paired, 4096 x 32000 bf16 backward on AVX2: 0.96x CPU time).
     */
    template <bool kNonpos, class Src, class Fs>
    REWEIGH_SIMD_INLINE static float scaled_exp_row(const Src& src, int64_t vocab, const reweigh::GradEpilogue& ep,
                                                    bool logit_nans_only, int32_t dtype, void* g, bool stream,
                                                    const char* pf, Fs& fs) {
        const R vlse = V::set1(ep.lse), va = V::set1(ep.a);
        R dmax = V::set1(-INFINITY);
        auto f = [&](R x) REWEIGH_SIMD_LAMBDA {
            const R d = V::sub(x, vlse);
            if constexpr (!kNonpos) return V::mul(va, V::exp(d));
            dmax = V::max(d, dmax);
            return V::mul(va, V::exp_nonpos(d));
        };
        if (logit_nans_only) write_row<Src::kInterleaved, false>(g, dtype, vocab, stream, src, pf, f, fs);
        else write_row<Src::kInterleaved>(g, dtype, vocab, stream, src, pf, f, fs);
        return kNonpos ? V::reduce_max(dmax) : 0.0f;
    }
    /* scaled_exp_row with exp over a row whose z - lse exceeds 0 somewhere: out of line and cold. */
    template <class Src, class Fs>
    __attribute__((noinline, cold)) static void scaled_exp_row_any(const Src& src, int64_t vocab,
                                                                   const reweigh::GradEpilogue& ep, bool logit_nans_only,
                                                                   int32_t dtype, void* g, bool stream, const char* pf,
                                                                   Fs& fs) {
        scaled_exp_row<false>(src, vocab, ep, logit_nans_only, dtype, g, stream, pf, fs);
    }
    /* Whether the n bytes at a and at b overlap (a gradient written over its own logits). */
    static bool overlaps(const void* a, const void* b, int64_t n) {
        const uintptr_t x = reinterpret_cast<uintptr_t>(a), y = reinterpret_cast<uintptr_t>(b);
        return x < y + static_cast<uintptr_t>(n) && y < x + static_cast<uintptr_t>(n);
    }

    static R derivative(R zp, const reweigh::RowParams& p) {
        if (p.softcap > 0.0f) {
            R t = V::mul(zp, V::set1(1.0f / p.softcap));
            return V::mul(V::set1(p.scale), V::sub(V::set1(1.0f), V::mul(t, t)));
        }
        return V::set1(p.scale);
    }

    /* Passes 1 to 3 over a source of z' (the logits, or pass 0's softcapped copy). */
    template <class Src>
    static reweigh::RowResult fused_row(const Src& zp, const void* z, int32_t dtype, int64_t vocab, int64_t y,
                                        const reweigh::RowParams& p, float k, void* g, float* e_buf,
                                        const reweigh::cpu::RowHints& hints) {
        return fused_row_by(zp, z, dtype, vocab, y, p, [k](const reweigh::RowResult&) { return k; }, g, e_buf, hints);
    }

    /* fused_row whose row coefficient k_of(statistics) is known only after pass 2 (token_simd.h's policy row). */
    template <class Src, class KOf>
    static reweigh::RowResult fused_row_by(const Src& zp, const void* z, int32_t dtype, int64_t vocab, int64_t y,
                                           const reweigh::RowParams& p, KOf&& k_of, void* g, float* e_buf,
                                           const reweigh::cpu::RowHints& hints) {
        const bool softcap = p.softcap > 0.0f;
        const float zp_y = zp.at(y);  // read before g (possibly == z) is written
        float sum_zp = 0.0f;
        reweigh::cpu::RowCarry* carry = raw_carry(hints, p);
        const bool recompute = recomputes(carry, dtype);
        const bool defer = defers(carry, dtype) && !recompute;
        if (!defer && hints.carry != nullptr) reweigh::cpu::finish_rows(*hints.carry);
        const reweigh::SoftmaxState st =
            softmax_writing_pending(zp, vocab, p.eps > 0.0f, softcap || recompute ? nullptr : e_buf, &sum_zp,
                                    hints.next_z, elem_bytes(dtype), carry);
        const reweigh::RowResult r = reweigh::row_finish(st, zp_y, sum_zp, vocab, p);
        const reweigh::GradEpilogue ep = reweigh::grad_epilogue(r.lse, k_of(r), vocab, p);
        const bool stream = streams(z, g, dtype, vocab);
        if (softcap || recompute) {
            // zp is z' (pass 0's fp32 copy, or the logits as the source reads them); p = exp(z' - lse).
            grad_from_lse(zp, false, vocab, y, zp_y, p, ep, dtype, g, stream, nullptr,
                          [&](int64_t v) { return zp.at(v); });
            return r;
        }
        // Pass 3 without softcap: p = e / d, dz'/dz = scale; e_buf in memory order.
        const float inv_d = 1.0f / st.d;
        const float a = ep.a * inv_d * p.scale, b = ep.b * p.scale;
        const R va = V::set1(a), vb = V::set1(b);
        const F32Src e{e_buf};
        auto fs = [&](int64_t v) { return a * e_buf[v] - b; };
        // [Note: bf16 gradients without NaN]
        const bool nan_free = isfinite(st.d) && isfinite(a) && isfinite(b);
        if (defer) {  // [Note: the gradient under the next row's exp]
            carry->pending = reweigh::cpu::PendingGrad{g, e_buf, dtype, vocab, y, a, b,
                                                       reweigh::grad_element(ep, zp_y, true, p), stream, nan_free,
                                                       &flush_pending};
            return r;
        }
        if (b == 0.0f) {
            auto f = [&](R x) REWEIGH_SIMD_LAMBDA { return V::mul(va, x); };
            if (nan_free) write_row<false, false>(g, dtype, vocab, stream, e, nullptr, f, fs);
            else write_row<false>(g, dtype, vocab, stream, e, nullptr, f, fs);
        } else {
            auto f = [&](R x) REWEIGH_SIMD_LAMBDA { return V::sub(V::mul(va, x), vb); };
            if (nan_free) write_row<false, false>(g, dtype, vocab, stream, e, nullptr, f, fs);
            else write_row<false>(g, dtype, vocab, stream, e, nullptr, f, fs);
        }
        store_grad_scalar(g, dtype, y, reweigh::grad_element(ep, zp_y, true, p));
        if (stream) V::fence();
        return r;
    }

    /*
     * Whether a fused row over the raw logits with this carry (raw_carry) leaves its gradient
     * pending: the driver asked for it, and pass 2 reads the next row (one line per iteration).
     */
    static bool defers(const reweigh::cpu::RowCarry* carry, int32_t dtype) {
        (void)dtype;
        return carry != nullptr && carry->defer_grad;
    }

    /*
     * [Note: rows too long to keep e] Whether a fused row over the raw logits with this carry
     * recomputes p = exp(z' - lse) in its gradient pass (as with a softcap) instead of storing e
     * in pass 2 and reading it back: the driver found the row, its e and the next row larger than
     * half the L2 (RowCarry.recompute_p), and pass 2 prefetches the next row (fp32 on AVX-512,
     * [Note: prefetching the next row]). Such a row leaves no gradient pending. Paired CPU time,
     * 2 threads, 1024 x 128256 fp32 forwardBackward: 0.94x on AVX-512; on AVX2, whose exp costs
     * more and which reads the next row under the exp, 1.18x, so it keeps e.
     */
    static bool recomputes(const reweigh::cpu::RowCarry* carry, int32_t dtype) {
        return carry != nullptr && carry->recompute_p && 2 * W * elem_bytes(dtype) > 64;
    }

    /*
     * Where fused_row_by keeps this row's e in a scratch of 2 * vocab floats: the second half,
     * or the first while a pending gradient reads its e from the second (the first half holds
     * pass 0's copy only with a softcap, which never defers).
     */
    static float* fused_e_buf(float* scratch, int32_t dtype, int64_t vocab, const reweigh::RowParams& p,
                              const reweigh::cpu::RowHints& hints) {
        const reweigh::cpu::RowCarry* carry = raw_carry(hints, p);
        return defers(carry, dtype) && carry->pending.g != nullptr && carry->pending.e == scratch + vocab
                   ? scratch
                   : scratch + vocab;
    }

    static reweigh::RowResult forward_backward_row(const void* z, int32_t dtype, int64_t vocab, int64_t y,
                                                   const reweigh::RowParams& p, float k, void* g, float* scratch,
                                                   const reweigh::cpu::RowHints& hints) {
        float* e_buf = fused_e_buf(scratch, dtype, vocab, p, hints);
        return with_source(z, dtype, vocab, p, scratch, [&](const auto& zp) {
            return fused_row(zp, z, dtype, vocab, y, p, k, g, e_buf, hints);
        });
    }

    /* One pass over memory; see [Note: prefetching in the backward] and [Note: streaming the gradient]. */
    static void backward_row(const void* z, int32_t dtype, int64_t vocab, int64_t y, float lse,
                             const reweigh::RowParams& p, float k, void* g, const reweigh::cpu::RowHints& hints) {
        const reweigh::GradEpilogue ep = reweigh::grad_epilogue(lse, k, vocab, p);
        const float zp_y = reweigh::transform_logit(load_scalar(z, dtype, y), p);
        const bool stream = streams(z, g, dtype, vocab);
        const char* pf = static_cast<const char*>(hints.next_z);
        auto zp_at = [&](int64_t v) { return reweigh::transform_logit(load_scalar(z, dtype, v), p); };
        if (dtype == REWEIGH_DTYPE_F32) {
            grad_from_lse(F32Src{static_cast<const float*>(z)}, true, vocab, y, zp_y, p, ep, dtype, g, stream, pf, zp_at);
        } else {
            grad_from_lse(Bf16Src{static_cast<const uint16_t*>(z)}, true, vocab, y, zp_y, p, ep, dtype, g, stream, pf, zp_at);
        }
    }

    /*
     * sum exp(x) for x <= 0 (or NaN) through pass 2's exp, with four accumulators, so the exp's
     * throughput, not an add chain, is the limit.
     */
    static float exp_sum(const float* x, int64_t n) {
        R a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
        int64_t i = 0;
        for (; i + 4 * W <= n; i += 4 * W) {
            a0 = V::add(a0, V::exp_nonpos(V::load(x + i)));
            a1 = V::add(a1, V::exp_nonpos(V::load(x + i + W)));
            a2 = V::add(a2, V::exp_nonpos(V::load(x + i + 2 * W)));
            a3 = V::add(a3, V::exp_nonpos(V::load(x + i + 3 * W)));
        }
        float sum = V::reduce_add(V::add(V::add(a0, a1), V::add(a2, a3)));
        for (; i < n; ++i) sum += expf(x[i]);
        return sum;
    }
};

#endif
