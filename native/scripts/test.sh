#!/usr/bin/env bash
# Native unit tests, plain optimised build (no sanitizers): the fast local loop.
#
#   native/scripts/test.sh                 configure, build and run
#   CTEST_ARGS="-L reference" native/scripts/test.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$here/build-test}"
jobs="${JOBS:-$(nproc)}"

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DREWEIGH_BUILD_TESTS=ON -DREWEIGH_CUDA=OFF >/dev/null
cmake --build "$build" -j "$jobs"
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure --timeout 600 ${CTEST_ARGS:-}
