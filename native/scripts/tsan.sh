#!/usr/bin/env bash
# Native unit tests and the thread pool under ThreadSanitizer, in one command.
#
#   native/scripts/tsan.sh                 configure, build and run (CI runs this)
#   BUILD_DIR=/tmp/tsan native/scripts/tsan.sh   another build folder
#
# CPU only (REWEIGH_CUDA=OFF). Every suite runs except the `races` label: that
# one rewrites labels while the library reads them, on purpose (the library's
# answer to a racing caller is checked there, not its absence). Any report
# fails its test binary (halt_on_error), so ctest and this script exit non-zero.
set -euo pipefail
# shellcheck source=build_tests.sh
source "$(dirname "$0")/build_tests.sh"
build_tests build-tsan RelWithDebInfo -DREWEIGH_TSAN=ON

# second_deadlock_stack: both stacks of a lock-order report.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=4"
ctest --test-dir "$build" --output-on-failure --timeout 600 -LE races ${CTEST_ARGS:-}
