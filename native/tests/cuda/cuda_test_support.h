/*
 * cuda_test_support.h: what the CUDA parity test, the emulation-only checks
 * and the CUDA benchmark share: the EXPECT counter and the description of a
 * batch. Plain C++ through the public ABI (no CUDA headers), so g++, the host
 * emulation and nvcc include it alike.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "reweigh/reweigh.h"

namespace reweigh_test {

/* Checks run and failed; main prints them and exits nonzero on a failure. */
inline int g_failures = 0;
inline int g_checks = 0;

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

}  // namespace reweigh_test

#define EXPECT(cond, ...)                                 \
    do {                                                  \
        ++reweigh_test::g_checks;                         \
        if (!(cond)) {                                    \
            ++reweigh_test::g_failures;                   \
            printf("  FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__);                          \
            printf("\n");                                 \
        }                                                 \
    } while (0)
