#!/usr/bin/env bash
# gpu-check.sh: the CUDA checks that need a GPU. Run on a GPU machine
# from anywhere in the repository:
#
#   native/scripts/gpu-check.sh [build-dir]        (default: /tmp/reweigh-gpu-check)
#
# 1. configure + build libreweigh with CUDA ON and the CUDA tests
#    (-DREWEIGH_BUILD_CUDA_TESTS=ON), warnings as errors;
# 2. run the CPU-vs-GPU parity test;
# 3. run it again under compute-sanitizer memcheck and racecheck (skipped with
#    a note when compute-sanitizer is not installed);
# 4. run the bandwidth benchmark (forwardBackward 4096 x 32000 fp32/bf16 vs a
#    device-to-device cudaMemcpy measured in the same run).
# Exits nonzero on the first failure. Without a GPU, steps 2-4 print
# "SKIPPED: no CUDA device" and the script still exits 0 after building.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
native="$(cd "$here/.." && pwd)"
build="${1:-/tmp/reweigh-gpu-check}"
jobs="$(nproc 2>/dev/null || echo 2)"

echo "== configure ($build)"
cmake -S "$native" -B "$build" -DCMAKE_BUILD_TYPE=Release -DREWEIGH_CUDA=ON -DREWEIGH_BUILD_CUDA_TESTS=ON
echo "== build"
cmake --build "$build" --parallel "$jobs"

echo "== architectures in libreweigh.so"
strings -a "$build/libreweigh.so" | grep -oE 'sm_80|sm_90|compute_90' | sort | uniq -c || true

if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
fi

parity="$build/tests/cuda/ce_cuda_parity"
bench="$build/tests/cuda/ce_cuda_bench"

echo "== parity (CPU vs GPU)"
"$parity"

sanitizer="$(command -v compute-sanitizer || true)"
if [ -z "$sanitizer" ] && [ -x /usr/local/cuda/bin/compute-sanitizer ]; then
  sanitizer=/usr/local/cuda/bin/compute-sanitizer
fi
if [ -n "$sanitizer" ]; then
  for tool in memcheck racecheck; do
    echo "== compute-sanitizer --tool $tool"
    # --error-exitcode makes any reported hazard fail the script.
    "$sanitizer" --tool "$tool" --error-exitcode 1 "$parity"
  done
  echo "== compute-sanitizer --tool memcheck --leak-check full (every workspace freed)"
  "$sanitizer" --tool memcheck --leak-check full --error-exitcode 1 "$parity" > /dev/null
else
  echo "== compute-sanitizer not found: memcheck/racecheck SKIPPED"
fi

echo "== bandwidth (1 read + 1 write per logit vs cudaMemcpy D2D)"
"$bench"
echo "== gpu-check done"
