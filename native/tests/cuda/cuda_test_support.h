/*
 * cuda_test_support.h: what the CUDA parity test, the emulation-only checks
 * and the CUDA benchmark share: the EXPECT counter, and the batch and option
 * builders of ../batch_of.h. Plain C++ through the public ABI (no CUDA
 * headers), so g++, the host emulation and nvcc include it alike.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "../batch_of.h"
#include "reweigh/reweigh.h"

namespace reweigh_test {

/* Checks run and failed; main prints them and exits nonzero on a failure. */
inline int g_failures = 0;
inline int g_checks = 0;

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
