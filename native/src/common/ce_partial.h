/*
 * ce_partial.h: per-row partials of a vocabulary shard and their merge, shared
 * by the CPU driver and (through REWEIGH_HD) CUDA code.
 *
 * A shard holds the logits of vocabulary [offset, offset + Vshard) for every
 * row. Its partial of one row is the online-softmax state (m, d, s) of
 * ce_row.h over the shard's transformed logits z', plus two sums the row
 * objective needs from the whole vocabulary:
 *
 *   logit_sum    = sum_v z'_v            (label smoothing: mean_v z' = sum / V)
 *   target_logit = z'_y if y lies in the shard, else 0 (exactly one shard owns y)
 *
 * Partials combine associatively: (m, d, s) through softmax_merge (Milakov &
 * Gimelshein 2018, Algorithm 3's reduction step, the merge the kernels use
 * between blocks of one row) and the two sums by addition. A collective that
 * only offers max and sum reaches the same result in two steps: all-reduce m
 * with max, rebase each shard's (d, s) to the global max (softmax_rebase),
 * then all-reduce d, s and the two sums with sum. Rebasing every side of a
 * merge to the common max is exactly what softmax_merge computes, so both
 * routes agree up to the order of the float32 additions.
 */
#ifndef REWEIGH_COMMON_CE_PARTIAL_H
#define REWEIGH_COMMON_CE_PARTIAL_H

#include <math.h>
#include <stdint.h>

#include "ce_row.h"
#include "hd.h"
#include "reweigh/reweigh.h"

namespace reweigh {

struct RowPartial {
    SoftmaxState st;
    float logit_sum;
    float target_logit;
};

REWEIGH_HD RowPartial partial_init() {
    RowPartial r;
    r.st = softmax_init();
    r.logit_sum = 0.0f;
    r.target_logit = 0.0f;
    return r;
}

REWEIGH_HD RowPartial partial_merge(const RowPartial& a, const RowPartial& b) {
    RowPartial r;
    r.st = softmax_merge(a.st, b.st);
    r.logit_sum = a.logit_sum + b.logit_sum;
    r.target_logit = a.target_logit + b.target_logit;
    return r;
}

/*
 * Express a state relative to a new reference max M >= st.m (the global max
 * of the row): each (z - m) becomes (z - M) + (m - M), so
 *   d' = d e^(m - M),   s' = e^(m - M) (s + (m - M) d).
 * An empty state (d = 0: every logit of the shard masked) stays empty; a
 * factor that underflows to 0 drops the state's mass as softmax_merge does.
 */
REWEIGH_HD SoftmaxState softmax_rebase(const SoftmaxState& st, float max) {
    SoftmaxState r;
    r.m = max;
    if (st.d == 0.0f) {
        r.d = 0.0f;
        r.s = 0.0f;
        return r;
    }
    if (st.m == max) {  // also keeps NaN and +inf maxima as they are
        r.d = st.d;
        r.s = st.s;
        return r;
    }
    const float delta = st.m - max;
    const float f = expf(delta);
    r.d = st.d * f;
    r.s = f > 0.0f ? f * (st.s + delta * st.d) : 0.0f;
    return r;
}

/*
 * The state of a row whose lse and entropy are known (a row kernel's result):
 * with m = lse, d = 1, since lse = m + log d, and then
 * entropy = log d - s / d gives s = -entropy. A row without mass (lse = -inf)
 * is the empty state.
 */
REWEIGH_HD SoftmaxState softmax_from_lse(float lse, float entropy) {
    if (lse == -INFINITY) return softmax_init();
    SoftmaxState st;
    st.m = lse;
    st.d = 1.0f;
    st.s = -entropy;
    return st;
}

/* The lse of a combined row: m + log d (not finite when every logit of the row is masked). */
REWEIGH_HD float partial_lse(float max, float sum_exp) { return max + logf(sum_exp); }

/* Row r of five [rows] partials arrays (reweigh_ce_partials_t), as a state and its two sums. */
REWEIGH_HD RowPartial partial_load(const reweigh_ce_partials_t& p, int64_t r) {
    RowPartial v;
    v.st.m = p.max[r];
    v.st.d = p.sum_exp[r];
    v.st.s = p.entropy_sum[r];
    v.logit_sum = p.logit_sum[r];
    v.target_logit = p.target_logit[r];
    return v;
}

/*
 * into[r] <- merge(into[r], from[r]) in the stored form (reweigh_ce_partials_merge):
 * softmax_merge returns the non-empty side unchanged, and two empty sides keep
 * the larger max, so a later MAX all-reduce over stored maxima stays an upper bound.
 */
REWEIGH_HD void partial_merge_row(const reweigh_ce_partials_t& from, const reweigh_ce_partials_t& into, int64_t r) {
    const RowPartial a = partial_load(into, r);
    const RowPartial c = partial_load(from, r);
    const RowPartial m = partial_merge(a, c);
    into.max[r] = m.st.d == 0.0f ? fmaxf(a.st.m, c.st.m) : m.st.m;
    into.sum_exp[r] = m.st.d;
    into.entropy_sum[r] = m.st.s;
    into.logit_sum[r] = m.logit_sum;
    into.target_logit[r] = m.target_logit;
}

/*
 * A global max is usable for row r unless it lies below the row's own max
 * (reweigh_ce_partials_rebase); NaN compares false, so a NaN row passes
 * through and surfaces in the statistics.
 */
REWEIGH_HD bool global_max_ok(float global_max, float max) { return !(global_max < max); }

/* Row r's (m, d, s) re-expressed relative to global_max[r] (softmax_rebase); the two sums are unchanged. */
REWEIGH_HD void partial_rebase_row(const float* global_max, const reweigh_ce_partials_t& p, int64_t r) {
    const SoftmaxState st = softmax_rebase(partial_load(p, r).st, global_max[r]);
    p.max[r] = st.m;
    p.sum_exp[r] = st.d;
    p.entropy_sum[r] = st.s;
}

}  // namespace reweigh

#endif
