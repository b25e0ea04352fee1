#!/usr/bin/env bash
# Native unit tests under AddressSanitizer + UndefinedBehaviorSanitizer, in one command.
#
#   native/scripts/sanitize.sh            configure, build and run (CI runs this)
#   BUILD_DIR=/tmp/asan native/scripts/sanitize.sh   another build folder
#   CTEST_ARGS="-L robustness" native/scripts/sanitize.sh   one concern only
#
# CPU only (REWEIGH_CUDA=OFF): nvcc-compiled code is not instrumented by ASan.
# Any sanitizer report aborts its test binary (abort_on_error / halt_on_error
# plus -fno-sanitize-recover=all from cmake/ReweighSanitizers.cmake), so ctest
# fails and this script exits non-zero. Leak checking is on (detect_leaks=1).
set -euo pipefail
# shellcheck source=build_tests.sh
source "$(dirname "$0")/build_tests.sh"
build_tests build-sanitize RelWithDebInfo -DREWEIGH_SANITIZE=ON

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# ctest's own exit code is non-zero when any test (i.e. any sanitizer report) fails.
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure --timeout 600 ${CTEST_ARGS:-}

# The CUDA kernels' real sources on the host emulation (every CUDA thread a fiber, shared memory
# poisoned) against the CPU path, under ASan + UBSan: no GPU or nvcc needed.
"$here/tests/cuda/emulation/run.sh" --asan "${build}-cuda-emulation"
