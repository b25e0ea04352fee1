/*
 * row_check.h: the message of a per-row input that must be finite on counted
 * rows (rowWeights, rowEntropyWeights, rowEntropy of reweigh_ce_backward_rows
 * in reweigh.h) and of a combined sharded row without a finite lse, shared by the CPU driver, which checks its copy, and the
 * CUDA driver, which reads the first bad index found on the device and the
 * value there, so both report the same text.
 */
#ifndef REWEIGH_COMMON_ROW_CHECK_H
#define REWEIGH_COMMON_ROW_CHECK_H

#include <math.h>
#include <stdint.h>

#include "ce_partial.h"
#include "errors.h"

namespace reweigh {

/* INVALID_ARGUMENT "name[r] = value is not finite" unless value is finite. */
static inline void check_row_finite(const char* name, int64_t r, float value) {
    REWEIGH_CHECK_ARG(isfinite(value), "%s[%lld] = %g is not finite", name, static_cast<long long>(r),
                      static_cast<double>(value));
}

/*
 * INVALID_ARGUMENT unless the combined partial of counted row r has a finite
 * lse = max + log(sumExp) (ce_partial.h): otherwise every gradient of the row is NaN.
 */
static inline void check_combined_lse(int64_t r, float max, float sum_exp) {
    REWEIGH_CHECK_ARG(isfinite(partial_lse(max, sum_exp)),
                      "combined row %lld has lse = max + log(sumExp) = %g + log(%g), not finite",
                      static_cast<long long>(r), static_cast<double>(max), static_cast<double>(sum_exp));
}

/*
 * INVALID_ARGUMENT unless globalMax[r] may serve as row r's reference max
 * (global_max_ok of ce_partial.h): a value below the row's own max is not the
 * MAX all-reduce of the partials' max.
 */
static inline void check_global_max(int64_t r, float global_max, float max) {
    REWEIGH_CHECK_ARG(global_max_ok(global_max, max),
                      "globalMax[%lld] = %g is below max[%lld] = %g: pass the MAX all-reduce of max",
                      static_cast<long long>(r), static_cast<double>(global_max), static_cast<long long>(r),
                      static_cast<double>(max));
}

}  // namespace reweigh

#endif
