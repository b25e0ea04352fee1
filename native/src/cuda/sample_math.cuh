/*
 * sample_math.cuh: the per-sample scaling of the objective on the device,
 * total = (1/D) sum_s c_s loss_s (docs/design.md §3), in one place: what a
 * sample adds to D, D itself, and the per-row gradient scale k_s.
 * The same rules as the CPU path; written as REWEIGH_HD functions so they
 * can move to a header shared with the CPU unchanged.
 *
 * D = 0 (every row ignored, or every coefficient 0 after filtering) is not
 * an error: k_s = 0 (a zero gradient), total = 0, statistics as usual.
 * WEIGHT_SUM with a negative coefficient is rejected before this runs (a
 * signed sum can approach 0 and blow the gradient up).
 */
#ifndef REWEIGH_CUDA_SAMPLE_MATH_CUH
#define REWEIGH_CUDA_SAMPLE_MATH_CUH

#include <stdint.h>

#include "../common/hd.h"
#include "reweigh/reweigh.h"

namespace reweigh {
namespace cuda {

/* What sample s (coefficient c, `count` counted rows) adds to the sum that defines D. */
REWEIGH_HD double normalizer_term(int32_t normalization, float c, int64_t count) {
    switch (normalization) {
        case REWEIGH_NORMALIZATION_WEIGHT_SUM: return count > 0 ? static_cast<double>(c) : 0.0;
        case REWEIGH_NORMALIZATION_TOKENS: return static_cast<double>(count);
        case REWEIGH_NORMALIZATION_SAMPLES: return count > 0 ? 1.0 : 0.0;
        default: return 0.0;
    }
}

/* D from the sum of normalizer_term over samples. */
REWEIGH_HD double normalizer_value(int32_t normalization, double sum, double explicit_d) {
    if (normalization == REWEIGH_NORMALIZATION_NONE) return 1.0;
    if (normalization == REWEIGH_NORMALIZATION_EXPLICIT) return explicit_d;
    return sum;
}

/*
 * k_s = grad_scale * c_s / D (/ count_s for MEAN): the factor of every row
 * gradient of sample s. 0 for a sample without counted rows and for D = 0.
 * Operation order as on the CPU (fp64, then one rounding to fp32).
 */
REWEIGH_HD float sample_row_scale(float c, int64_t count, double d, int32_t token_reduction, float grad_scale) {
    if (count <= 0 || d == 0.0) return 0.0f;
    double k = static_cast<double>(c) / d;
    if (token_reduction == REWEIGH_TOKEN_REDUCTION_MEAN) k /= static_cast<double>(count);
    return static_cast<float>(k * static_cast<double>(grad_scale));
}

/* total = sum_s c_s loss_s / D; 0 for D = 0. */
REWEIGH_HD double objective_total(double weighted_sum, double d) { return d == 0.0 ? 0.0 : weighted_sum / d; }

}  // namespace cuda
}  // namespace reweigh

#endif
