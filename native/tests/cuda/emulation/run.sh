#!/usr/bin/env bash
# run.sh: build the CUDA backend against the host emulation in this folder
# (cuda_runtime.h) and run the CPU-vs-"GPU" parity test, without a GPU or nvcc.
#
#   native/tests/cuda/emulation/run.sh [work-dir]     (default /tmp/reweigh-cuda-emulation)
#
# The .cu files are copied and compiled as C++20 with two mechanical edits the
# emulation cannot express: the <<<>>> launch in launch.cuh becomes
# emu::launch_kernel(...), and the dynamic `extern __shared__` row cache of
# ce_rows.cu becomes emu::dynamic_smem(). Everything else is the real source.
# Slow (one std::thread per CUDA thread: minutes on 2 cores) and a logic check
# only; the real test is native/scripts/gpu-check.sh on a GPU.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
native="$(cd "$here/../../.." && pwd)"
work="${1:-/tmp/reweigh-cuda-emulation}"
mkdir -p "$work/obj"
rm -rf "$work/src" && cp -r "$native/src" "$work/src"
sed -i 's/kernel<<<grid, block, smem, stream>>>(/emu::launch_kernel(kernel, grid, block, smem, stream, /' \
  "$work/src/cuda/launch.cuh"
sed -i 's/extern __shared__ uint4 row_cache\[\];/uint4* row_cache = emu::dynamic_smem<uint4>();/' \
  "$work/src/cuda/ce_rows.cu"
grep -q "emu::launch_kernel" "$work/src/cuda/launch.cuh" || { echo "launch edit failed"; exit 1; }
grep -q "emu::dynamic_smem" "$work/src/cuda/ce_rows.cu" || { echo "row cache edit failed"; exit 1; }

flags=(-std=c++20 -O1 -g -pthread -Wno-unknown-pragmas -I"$here" -I"$native/include" -I"$work/src")
cd "$work"
for f in src/cuda/*.cu; do
  g++ "${flags[@]}" -x c++ -c "$f" -o "obj/$(basename "$f" .cu).o"
done
for f in api/errors api/validate api/reweigh cpu/isa cpu/thread_pool cpu/ce_cpu cpu/ce_scalar cpu/roofline; do
  g++ "${flags[@]}" -c "src/$f.cpp" -o "obj/$(basename "$f").o"
done
g++ "${flags[@]}" -mavx2 -mfma -mf16c -c src/cpu/ce_avx2.cpp -o obj/ce_avx2.o
g++ "${flags[@]}" -mavx512f -mavx2 -mfma -c src/cpu/ce_avx512.cpp -o obj/ce_avx512.o
g++ "${flags[@]}" -c "$native/tests/cuda/ce_cuda_parity.cpp" -o obj/ce_cuda_parity.o
g++ -pthread obj/*.o -o ce_cuda_parity_emulated
echo "== parity under the CUDA emulation"
./ce_cuda_parity_emulated
