#!/usr/bin/env bash
# run.sh: build the CUDA backend against the host emulation in this folder
# (cuda_runtime.h) and run the CPU-vs-"GPU" parity test and the
# emulation-only checks, without a GPU or nvcc; then the per-row-coefficient
# and vocabulary-sharded entry points (ce_cuda_token_shard.cpp) and the
# one-pass policy step (ce_cuda_policy.cpp) the same way.
#
#   native/tests/cuda/emulation/run.sh [--asan] [work-dir]
#       (default work dir: /tmp/reweigh-cuda-emulation[-asan])
#
# The .cu files are compiled unchanged as C++20: the emulated cuda_runtime.h
# defines REWEIGH_CUDA_EMULATION, which turns the launch statements and the
# dynamic shared-memory declaration of launch.cuh into calls into the
# emulation. Two launch constants are lowered: REWEIGH_CUDA_MAX_GRID=48, so
# rows > 48 take several grid-stride steps (the GPU run covers 2^20 + 5
# rows), and REWEIGH_CUDA_ROW_THREADS=128 (fewer fibers per block; the
# partitioning logic is the same for any multiple of 32).
#
# --asan: AddressSanitizer + UBSan, every report fatal, on the reduced parity
# set (REWEIGH_PARITY_QUICK=1; set it to empty for the full grid). Shared
# memory is poisoned (0xff) in both modes; see cuda_runtime.h.
# A logic check only (every CUDA thread a fiber on one host thread); the real test is
# native/scripts/gpu-check.sh on a GPU.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
native="$(cd "$here/../../.." && pwd)"
asan=0
if [ "${1:-}" = "--asan" ]; then asan=1; shift; fi
work="${1:-/tmp/reweigh-cuda-emulation$([ "$asan" = 1 ] && echo -asan || true)}"
mkdir -p "$work/obj"
rm -f "$work"/obj/*.o

flags=(-std=c++20 -O1 -g -pthread -Wall -Wextra -Werror -Wno-unknown-pragmas -I"$here" -I"$native/include"
       -I"$native/src" -DREWEIGH_CUDA_MAX_GRID=48 -DREWEIGH_CUDA_ROW_THREADS=128)
if [ "$asan" = 1 ]; then
  flags+=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0"
  # One parity case per code path (see ce_cuda_parity.cpp) keeps the instrumented run short.
  export REWEIGH_PARITY_QUICK="${REWEIGH_PARITY_QUICK-1}"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
fi

compile() { # source object [extra flags]
  local src="$1" obj="$2"; shift 2
  g++ "${flags[@]}" "$@" -c "$src" -o "$obj"
}
for f in "$native"/src/cuda/*.cu; do
  compile "$f" "$work/obj/cuda_$(basename "$f" .cu).o" -x c++
done
for f in "$native"/src/api/*.cpp "$native"/src/common/*.cpp "$native"/src/cpu/*.cpp; do
  [ -e "$f" ] || continue
  name="$(basename "$(dirname "$f")")_$(basename "$f" .cpp)"
  case "$f" in
    *avx512*) compile "$f" "$work/obj/$name.o" -mavx512f -mavx512bw -mavx2 -mfma -mf16c -Wno-uninitialized -Wno-maybe-uninitialized ;;
    *avx2*) compile "$f" "$work/obj/$name.o" -mavx2 -mfma -mf16c ;;
    *) compile "$f" "$work/obj/$name.o" ;;
  esac
done
compile "$native/tests/cuda/ce_cuda_parity.cpp" "$work/ce_cuda_parity.o"
compile "$native/tests/cuda/ce_cuda_token_shard.cpp" "$work/ce_cuda_token_shard.o"
compile "$native/tests/cuda/ce_cuda_policy.cpp" "$work/ce_cuda_policy.o"
compile "$here/emulation_checks.cpp" "$work/emulation_checks.o"
g++ "${flags[@]}" "$work"/obj/*.o "$work/ce_cuda_parity.o" -o "$work/ce_cuda_parity_emulated"
g++ "${flags[@]}" "$work"/obj/*.o "$work/ce_cuda_token_shard.o" -o "$work/ce_cuda_token_shard_emulated"
g++ "${flags[@]}" "$work"/obj/*.o "$work/ce_cuda_policy.o" -o "$work/ce_cuda_policy_emulated"
g++ "${flags[@]}" "$work"/obj/*.o "$work/emulation_checks.o" -o "$work/emulation_checks"
cd "$work"
echo "== parity under the CUDA emulation$([ "$asan" = 1 ] && echo ' (ASan + UBSan)')"
./ce_cuda_parity_emulated
echo "== parity with the uncached forwardBackward (REWEIGH_CUDA_ROW_CACHE=0: 2 reads), reduced set"
REWEIGH_CUDA_ROW_CACHE=0 REWEIGH_PARITY_QUICK=1 ./ce_cuda_parity_emulated > uncached.log || { cat uncached.log; exit 1; }
tail -n 1 uncached.log
echo "== per-row coefficients and vocabulary-sharded partials under the CUDA emulation"
./ce_cuda_token_shard_emulated > token_shard.log || { cat token_shard.log; exit 1; }
grep -E '^(bad|PASSED|FAILED)' token_shard.log
echo "== the one-pass policy step (ce_cuda_policy.cpp) under the CUDA emulation"
./ce_cuda_policy_emulated > policy.log || { cat policy.log; exit 1; }
grep -E '^(bad|PASSED|FAILED)' policy.log
echo "== emulation-only checks"
./emulation_checks
./emulation_checks no-driver
