/*
 * ce_row.h: the per-row math of the fused cross-entropy, written once for the
 * scalar CPU kernels and the CUDA kernels (REWEIGH_HD = __host__ __device__).
 * The vectorised CPU kernels mirror these functions lane by lane and are
 * tested against them.
 *
 * Symbols follow the online-softmax paper (Milakov & Gimelshein 2018,
 * arXiv:1805.02867, Algorithm 3): m is the running max, d the running sum of
 * exp(z - m). We add s = sum exp(z - m) * (z - m) for the entropy:
 *
 *   lse     = m + log d
 *   entropy = lse - sum_v p_v z_v = log d - s / d            (p_v = exp(z_v - m) / d)
 *
 * Keeping s relative to m (instead of sum p z) avoids cancelling two large
 * numbers when the logits are large.
 *
 * Row objective (docs/design.md §3), z' = softcap(scale * z):
 *   rowLoss = (1 - eps) * (-logp) + eps * (lse - mean z') + zloss * lse^2
 * Its derivative with respect to z'_v, times the row coefficient k:
 *   dL/dz'_v = k * [ p_v * (1 + 2 * zloss * lse) - (1 - eps) * [v == y] - eps / V ]
 * and with respect to the raw logit, by the chain rule,
 *   dz'/dz  = scale                         (no softcap)
 *           = scale * (1 - (z' / c)^2)      (softcap c: d/dx c*tanh(x/c) = 1 - tanh^2)
 */
#ifndef REWEIGH_COMMON_CE_ROW_H
#define REWEIGH_COMMON_CE_ROW_H

#include <math.h>
#include <stdint.h>

#include "hd.h"

namespace reweigh {

/* Per-call constants of the row math. */
struct RowParams {
    float scale;    /* logit_scale, > 0 */
    float softcap;  /* c, 0 = off */
    float eps;      /* label smoothing */
    float zloss;    /* lambda */
};

/* z' = softcap(scale * z). */
REWEIGH_HD float transform_logit(float z, const RowParams& p) {
    float x = z * p.scale;
    if (p.softcap > 0.0f) {
        x = p.softcap * tanhf(x / p.softcap);
    }
    return x;
}

/* dz'/dz expressed through z' (so the backward never recomputes tanh). */
REWEIGH_HD float transform_derivative(float zp, const RowParams& p) {
    if (p.softcap > 0.0f) {
        float t = zp / p.softcap;
        return p.scale * (1.0f - t * t);
    }
    return p.scale;
}

/* Online softmax state: m, d and the entropy sum s (see the header comment). */
struct SoftmaxState {
    float m;
    float d;
    float s;
};

REWEIGH_HD SoftmaxState softmax_init() {
    SoftmaxState st;
    st.m = -INFINITY;
    st.d = 0.0f;
    st.s = 0.0f;
    return st;
}

/*
 * Add one transformed logit. A -inf logit contributes nothing: skipping it
 * avoids exp(-inf - (-inf)) = NaN and 0 * -inf = NaN in s.
 */
REWEIGH_HD void softmax_add(SoftmaxState& st, float z) {
    if (z == -INFINITY) {
        return;
    }
    if (z > st.m) {
        /* Rescale to the new max: d' = d e^(m - z) + 1,
         * s' = e^(m - z) (s + (m - z) d)   since each (z_i - m) becomes (z_i - m) + (m - z). */
        float delta = st.m - z; /* <= 0, -inf on the first element */
        float f = st.d > 0.0f ? expf(delta) : 0.0f;
        /* f == 0: the old terms vanish. Skipping the product matters when
         * delta overflowed to -inf (logits spanning more than FLT_MAX):
         * 0 * (-inf) would make s NaN. */
        st.s = f > 0.0f ? f * (st.s + delta * st.d) : 0.0f;
        st.d = st.d * f + 1.0f;
        st.m = z;
    } else {
        float delta = z - st.m;
        float e = expf(delta);
        st.d += e;
        /* e == 0 (delta below about -104, or -inf after overflow) adds nothing;
         * the test keeps 0 * (-inf) = NaN out of s. A NaN z still reaches d. */
        if (e > 0.0f) st.s += e * delta;
    }
}

/* Merge two partial states (Algorithm 3's reduction step, with s). */
REWEIGH_HD SoftmaxState softmax_merge(const SoftmaxState& a, const SoftmaxState& b) {
    if (a.d == 0.0f) return b;
    if (b.d == 0.0f) return a;
    SoftmaxState r;
    r.m = a.m > b.m ? a.m : b.m;
    float da = a.m - r.m;
    float db = b.m - r.m;
    float fa = expf(da);
    float fb = expf(db);
    r.d = a.d * fa + b.d * fb;
    /* A factor of 0 drops its side entirely (its d may be -inf away: see softmax_add). */
    r.s = (fa > 0.0f ? fa * (a.s + da * a.d) : 0.0f) + (fb > 0.0f ? fb * (b.s + db * b.d) : 0.0f);
    return r;
}

/* Everything a counted row reports. */
struct RowResult {
    float lse;
    float logp;
    float entropy;
    float loss;
};

/*
 * x as a float in a register: the compiler cannot fuse the operation that
 * made x with the one that uses it. GCC contracts a * b - c into one FMA by
 * default (-ffp-contract=fast) wherever, after inlining, the product has no
 * other use; without the barrier z * scale - lse can be rounded once in one
 * kernel and twice in another, and their logp differ in the last bit.
 */
REWEIGH_HD float rounded_float(float x) {
#if defined(__GNUC__) && !defined(__CUDA_ARCH__) && (defined(__x86_64__) || defined(__i386__))
    __asm__("" : "+x"(x));
#endif
    return x;
}

/*
 * Finish a row from its softmax state, the transformed target logit and (only
 * read when eps > 0) the sum of all transformed logits. logp rounds z'_y
 * first (rounded_float), whichever kernel computed it.
 */
REWEIGH_HD RowResult row_finish(const SoftmaxState& st, float zp_target, float sum_zp, int64_t vocab,
                                const RowParams& p) {
    RowResult r;
    float log_d = logf(st.d);
    r.lse = st.m + log_d;
    r.logp = rounded_float(zp_target) - r.lse;
    r.entropy = log_d - st.s / st.d;
    float loss = -r.logp;
    if (p.eps > 0.0f) {
        /* Skipped entirely when eps == 0 so masked (-inf) vocabularies stay finite. */
        float mean_zp = sum_zp / static_cast<float>(vocab);
        loss = (1.0f - p.eps) * loss + p.eps * (r.lse - mean_zp);
    }
    if (p.zloss > 0.0f) {
        loss += p.zloss * r.lse * r.lse;
    }
    r.loss = loss;
    return r;
}

/*
 * The gradient epilogue for one row: constants folded once per row so the
 * inner loop is g = (a * p - b - [v == y] * t) * dz'/dz.
 */
struct GradEpilogue {
    float lse;
    float a; /* k * (1 + 2 zloss lse) */
    float b; /* k * eps / V */
    float t; /* k * (1 - eps) */
};

REWEIGH_HD GradEpilogue grad_epilogue(float lse, float k, int64_t vocab, const RowParams& p) {
    GradEpilogue e;
    e.lse = lse;
    e.a = k * (1.0f + 2.0f * p.zloss * lse);
    e.b = p.eps > 0.0f ? k * p.eps / static_cast<float>(vocab) : 0.0f;
    e.t = k * (1.0f - p.eps);
    return e;
}

/* Gradient with respect to the raw logit whose transformed value is zp. */
REWEIGH_HD float grad_element(const GradEpilogue& e, float zp, bool is_target, const RowParams& p) {
    float prob = expf(zp - e.lse);
    float g = e.a * prob - e.b;
    if (is_target) {
        g -= e.t;
    }
    return g * transform_derivative(zp, p);
}

}  // namespace reweigh

#endif
