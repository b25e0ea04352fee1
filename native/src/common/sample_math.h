/*
 * sample_math.h: the per-sample arithmetic of the objective, shared by the CPU
 * and CUDA backends (docs/design.md §3):
 *
 *   total = sum_s c_s * loss_s / D,   dtotal/dz_row = k_s * dLoss_row/dz_row,
 *   k_s   = c_s / (D * count_s)  (MEAN)   or   c_s / D  (SUM).
 *
 * D = 0 (every row ignored, or every coefficient 0 after filtering) is a
 * valid micro-batch, not an error: the objective is then 0 and every k_s is
 * 0, so the call writes a zero gradient and still returns the statistics.
 * WEIGHT_SUM with a negative coefficient is rejected by the callers: a signed
 * sum can approach 0 and blow the gradient up (signed objectives such as DPO
 * use NONE or an explicit normaliser).
 */
#ifndef REWEIGH_COMMON_SAMPLE_MATH_H
#define REWEIGH_COMMON_SAMPLE_MATH_H

#include <stdint.h>

#include "hd.h"
#include "reweigh/reweigh.h"

namespace reweigh {

/*
 * D from its running sums over samples: weight_sum = sum of c_s over samples
 * with counted rows, tokens = counted rows, samples_with_tokens.
 * explicit_d is options.normalizer.
 */
REWEIGH_HD double normalizer_of(int32_t normalization, double explicit_d, double weight_sum, double tokens,
                                double samples_with_tokens) {
    switch (normalization) {
        case REWEIGH_NORMALIZATION_WEIGHT_SUM: return weight_sum;
        case REWEIGH_NORMALIZATION_TOKENS: return tokens;
        case REWEIGH_NORMALIZATION_SAMPLES: return samples_with_tokens;
        case REWEIGH_NORMALIZATION_NONE: return 1.0;
        default: return explicit_d;
    }
}

/* What sample s (coefficient c, `count` counted rows) adds to the sum that defines D: a
 * reduction over samples of this term gives the weight sum, token count or sample count. */
REWEIGH_HD double normalizer_term(int32_t normalization, float c, int64_t count) {
    switch (normalization) {
        case REWEIGH_NORMALIZATION_WEIGHT_SUM: return count > 0 ? static_cast<double>(c) : 0.0;
        case REWEIGH_NORMALIZATION_TOKENS: return static_cast<double>(count);
        case REWEIGH_NORMALIZATION_SAMPLES: return count > 0 ? 1.0 : 0.0;
        default: return 0.0;
    }
}

/* D from the reduced sum of normalizer_term (NONE: 1, EXPLICIT: the caller's value). */
REWEIGH_HD double normalizer_value(int32_t normalization, double sum, double explicit_d) {
    return normalizer_of(normalization, explicit_d, sum, sum, sum);
}

/* k_s: the scale of sample s's row gradients; 0 for a sample without counted rows or for D = 0. */
REWEIGH_HD float sample_scale(float coefficient, double d, int64_t count, int32_t token_reduction,
                              float grad_scale) {
    if (count <= 0 || d == 0.0) return 0.0f;
    double k = static_cast<double>(coefficient) / d;
    if (token_reduction == REWEIGH_TOKEN_REDUCTION_MEAN) k /= static_cast<double>(count);
    return static_cast<float>(k * static_cast<double>(grad_scale));
}

/* total from sum_s c_s loss_s; 0 for D = 0. */
REWEIGH_HD double objective_total(double weighted, double d) { return d == 0.0 ? 0.0 : weighted / d; }

}  // namespace reweigh

#endif
