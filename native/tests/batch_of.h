/*
 * batch_of.h: the ABI structs of a test case built from the fields it varies,
 * for the CPU suites (test_support.h) and the CUDA tests
 * (cuda/cuda_test_support.h) alike. Plain C++ through the public ABI.
 */
#pragma once

#include <stdint.h>

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
    /* Field order of reweigh_ce_batch_t: logits, logits_dtype, targets_dtype, rows, vocab, logits_row_stride,
     * targets, offsets, offsets_dtype, device_type, samples, device_index, reserved0, stream. */
    return {logits, logits_dtype, targets_dtype, rows, vocab, row_stride, targets, offsets, offsets_dtype,
            device_type, samples, 0, 0, 0};
}

/* Default options with the fields a test case varies. */
inline reweigh_ce_options_t options_of(float eps, float zloss, float softcap, float scale, int32_t reduction,
                                       int32_t normalization, double normalizer, float grad_scale) {
    const reweigh_ce_options_t d = reweigh_ce_options_default();
    /* Field order of reweigh_ce_options_t: ignore_index, label_smoothing, z_loss, softcap, logit_scale,
     * token_reduction, normalization, normalizer, check_finite, reserved0, grad_scale, reserved1. */
    return {d.ignore_index, eps,        zloss, softcap, scale, reduction, normalization, normalizer,
            d.check_finite, d.reserved0, grad_scale, d.reserved1};
}

}  // namespace reweigh_test
