/*
 * batch_of.h: the ABI structs of a test case built from the fields it varies,
 * for the CPU suites (test_support.h) and the CUDA tests
 * (cuda/cuda_test_support.h) alike. Plain C++ through the public ABI.
 */
#pragma once

#include <stdint.h>
#include <string.h>

#include "reweigh/reweigh.h"

namespace reweigh_test {

/*
 * A batch of `rows` rows of `vocab` logits, `row_stride` elements apart, with
 * `samples` samples; everything else (stream, device index) zero. Callers set
 * the fields their run changes.
 */
inline reweigh_ce_batch_t batch_of(const void* logits, int32_t logits_dtype, const void* targets,
                                   int32_t targets_dtype, const void* offsets, int32_t offsets_dtype,
                                   int64_t rows, int64_t vocab, int64_t row_stride, int64_t samples,
                                   int32_t device_type) {
    reweigh_ce_batch_t b;
    memset(&b, 0, sizeof b);
    b.logits = logits;
    b.logits_dtype = logits_dtype;
    b.targets = targets;
    b.targets_dtype = targets_dtype;
    b.offsets = offsets;
    b.offsets_dtype = offsets_dtype;
    b.rows = rows;
    b.vocab = vocab;
    b.logits_row_stride = row_stride;
    b.samples = samples;
    b.device_type = device_type;
    return b;
}

/* Default options with the fields a test case varies. */
inline reweigh_ce_options_t options_of(float eps, float zloss, float softcap, float scale, int32_t reduction,
                                       int32_t normalization, double normalizer, float grad_scale) {
    reweigh_ce_options_t o = reweigh_ce_options_default();
    o.label_smoothing = eps;
    o.z_loss = zloss;
    o.softcap = softcap;
    o.logit_scale = scale;
    o.token_reduction = reduction;
    o.normalization = normalization;
    o.normalizer = normalizer;
    o.grad_scale = grad_scale;
    return o;
}

}  // namespace reweigh_test
