#!/usr/bin/env bash
# Native unit tests, plain optimised build (no sanitizers): the fast local loop.
#
#   native/scripts/test.sh                 configure, build and run
#   CTEST_ARGS="-L reference" native/scripts/test.sh
set -euo pipefail
# shellcheck source=build_tests.sh
source "$(dirname "$0")/build_tests.sh"
build_tests build-test Release
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure --timeout 600 ${CTEST_ARGS:-}
