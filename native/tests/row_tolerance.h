/*
 * row_tolerance.h: the per-element tolerance of a gradient with per-row
 * coefficients (test_ce_token, test_ce_policy) against its float64
 * reference. Per element of a counted row: the loss part, which the caller
 * gives per row (its coefficient times the row's lse/entropy error t and a
 * few fp32 roundings), plus the entropy part |kb| scale (q t + 8 u (q + p))
 * with q = p (|log p| + H + 2) (t relative in p, absolute in log p and H),
 * plus 4 u |g|; bf16 output rounds to 2^-8 on top.
 */
#ifndef REWEIGH_TESTS_ROW_TOLERANCE_H
#define REWEIGH_TESTS_ROW_TOLERANCE_H

#include <math.h>

#include <vector>

#include "reference.h"
#include "test_support.h"

namespace reftest {

/*
 * loss_part(r, t): the loss part of row r's elements, t = Tolerances.row[r];
 * entropy_scale(r): |kb_r| times the scale of dz'/dz (0 without the term).
 */
template <class LossPart, class EntropyScale>
std::vector<double> row_coefficient_tolerance(const Problem& p, const Reference& ref, const std::vector<double>& grad,
                                              bool bf16, LossPart&& loss_part, EntropyScale&& entropy_scale) {
    const Tolerances t = tolerances(p, ref);
    std::vector<double> tol(grad.size(), 0.0);
    for (int64_t r = 0; r < p.rows; ++r) {
        const RowRef& row = ref.rows[r];
        if (!row.counted) continue;
        const double loss = loss_part(r, t.row[r]);
        const double kb = entropy_scale(r);
        for (int64_t v = 0; v < p.vocab; ++v) {
            const size_t i = static_cast<size_t>(r * p.vocab + v);
            const double zp = transform(p.logits[i], p.options);
            const double prob = zp == -INFINITY ? 0.0 : exp(zp - row.lse);
            const double plogp = prob == 0.0 ? 0.0 : prob * (fabs(zp - row.lse) + fabs(row.entropy) + 2);
            const double g = fabs(grad[i]);
            double e = loss + kb * (plogp * t.row[r] + 8 * kU * (plogp + prob)) + 4 * kU * g;
            if (bf16) e += (g + e) * (1.0 / 256.0);
            tol[i] = e;
        }
    }
    return tol;
}

}  // namespace reftest

#endif
