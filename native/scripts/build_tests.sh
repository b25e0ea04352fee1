# build_tests.sh: the configure + build step the native test scripts share (sourced, not run).
#
#   build_tests NAME TYPE [CMAKE_FLAG...]
#
# sets $here (native/) and $build (BUILD_DIR, or native/NAME), then configures a CPU-only
# (REWEIGH_CUDA=OFF) build of the unit tests of CMAKE_BUILD_TYPE=TYPE with the extra flags and
# builds it on JOBS (default: every core) jobs.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

build_tests() {
  build="${BUILD_DIR:-$here/$1}"
  local type="$2"
  shift 2
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE="$type" "$@" \
    -DREWEIGH_BUILD_TESTS=ON -DREWEIGH_CUDA=OFF >/dev/null
  cmake --build "$build" -j "${JOBS:-$(nproc)}"
}
