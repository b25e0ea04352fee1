#!/usr/bin/env bash
# gpu-check.sh: every CUDA check that needs a GPU, in one command, with one
# summary JSON. Sized for at most 10 minutes on one H100/H200 (the step limits
# below are ceilings; the token_shard steps take seconds each on a GPU).
#
#   native/scripts/gpu-check.sh OUT_DIR [BUILD_DIR]
#       OUT_DIR    receives summary.json, bandwidth.jsonl and one log per step
#       BUILD_DIR  default: OUT_DIR/build
#   GPU_CHECK_DRY_RUN=1   run only the steps that need no GPU (configure, build,
#                         the SKIPPED paths of the test binaries, the JSON)
#   GPU_CHECK_BUILD_TIMEOUT=S   build step limit (default 420 s; a cold nvcc
#                         build for sm_80 + sm_90 takes a few minutes)
#
# Steps (each under its own `timeout`; a failed step is recorded and the
# others still run; the exit status is nonzero when any step failed):
#   build        CUDA ON, warnings as errors, tests/cuda included
#   parity       CPU-vs-GPU parity, full grid (REWEIGH_PARITY_FULL=1: adds
#                2^20 + 5 rows), D = 0, asynchronous mode, bad input
#   token_shard  reweigh_ce_backward_rows and the vocabulary-sharded partial
#                forward / statistics / backward against the CPU path and a
#                float64 gradient, bad input in both validation modes
#   policy       reweigh_policy_forward_backward (the one-pass policy step)
#                against the CPU path, bad input in both validation modes
#   memcheck, racecheck, initcheck, synccheck
#                compute-sanitizer on the reduced parity set
#                (REWEIGH_PARITY_QUICK=1); memcheck also checks leaks
#   token_shard_memcheck, token_shard_racecheck, token_shard_initcheck
#                compute-sanitizer on ce_cuda_token_shard
#   policy_memcheck, policy_racecheck
#                compute-sanitizer on ce_cuda_policy (REWEIGH_PARITY_QUICK=1)
#   threads      host threads with different vocabularies, each on its own
#                non-blocking stream, against single-threaded results
#   big          one batch of > 2^31 logits (16800 x 128256 bf16)
#   bandwidth    4096 x 32000 and 16384 x 128256, fp32 and bf16:
#                forwardBackward vs a device-to-device copy of the same bytes,
#                forward vs a plain read, in the same run (bandwidth.jsonl)
#   torch        the PyTorch adapter's tensor path with the presets' CUDA
#                build, when its -gpu natives are in the local Maven
#                repository (the GPU machine has no registry access);
#                includes ShardedCudaTest (ShardedLoss with NativePartials on
#                a CUDA batch, partials merged on the device)
#   torch_policy TorchTokenLoss.policyStep on CUDA tensors (TorchPolicyStepTest)
#                with -Dreweigh.requireCuda=true, so a missing GPU fails it
#                instead of skipping its CUDA cases
# Targets: forwardBackward >= 0.85 of the copy bandwidth, forward
# >= 0.85 of the read bandwidth; the summary records the ratios, the script
# does not fail on them.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 OUT_DIR [BUILD_DIR]" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
native="$(cd "$here/.." && pwd)"
repo="$(cd "$native/.." && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
build="${2:-$out/build}"
dry="${GPU_CHECK_DRY_RUN:-0}"
jobs="$(nproc 2>/dev/null || echo 4)"
started="$(date +%s)"
steps_file="$out/steps.tsv"
: > "$steps_file"
: > "$out/bandwidth.jsonl"
failed=0

# step NAME TIMEOUT_S COMMAND...: runs COMMAND with its output in OUT_DIR/NAME.log.
step() {
  local name="$1" limit="$2"; shift 2
  local t0 rc status
  t0="$(date +%s)"
  echo "== $name (timeout ${limit}s)"
  set +e
  timeout --kill-after=10 "$limit" "$@" > "$out/$name.log" 2>&1
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    if grep -q "^SKIPPED" "$out/$name.log"; then status=skipped; else status=passed; fi
  elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    status=timeout; failed=1
  else
    status=failed; failed=1
  fi
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$rc" "$(( $(date +%s) - t0 ))" >> "$steps_file"
  echo "   $status (rc $rc, $(( $(date +%s) - t0 )) s); last lines of $out/$name.log:"
  tail -n 3 "$out/$name.log" | sed 's/^/   | /'
}

skip() { # skip NAME REASON
  printf '%s\tskipped\t0\t0\t%s\n' "$1" "$2" >> "$steps_file"
  echo "== $1: SKIPPED ($2)"
}

have_gpu=0
if [ "$dry" != 1 ] && command -v nvidia-smi > /dev/null 2>&1 && nvidia-smi -L > /dev/null 2>&1; then
  have_gpu=1
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$out/gpu.txt" 2>&1 || true
fi

step build "${GPU_CHECK_BUILD_TIMEOUT:-420}" bash -c "cmake -S '$native' -B '$build' -DCMAKE_BUILD_TYPE=Release -DREWEIGH_CUDA=ON \
  -DREWEIGH_BUILD_CUDA_TESTS=ON && cmake --build '$build' --parallel '$jobs'"
parity="$build/tests/cuda/ce_cuda_parity"
bench="$build/tests/cuda/ce_cuda_bench"
token_shard="$build/tests/cuda/ce_cuda_token_shard"
policy="$build/tests/cuda/ce_cuda_policy"

if ! grep -q "^build	passed" "$steps_file"; then
  echo "build failed: see $out/build.log; nothing else can run" >&2
elif [ "$have_gpu" != 1 ]; then
  # Without a GPU the binaries must say so and exit 0 (the dry run checks exactly that).
  step parity 60 "$parity"
  step token_shard 60 "$token_shard"
  step policy 60 "$policy"
  step bandwidth 60 "$bench" --json "$out/bandwidth.jsonl"
  for s in memcheck racecheck initcheck synccheck token_shard_memcheck token_shard_racecheck token_shard_initcheck \
           policy_memcheck policy_racecheck threads big torch torch_policy; do skip "$s" "no GPU"; done
else
  step parity 240 env REWEIGH_PARITY_FULL=1 "$parity"
  step token_shard 60 "$token_shard"
  step policy 60 "$policy"
  sanitizer="$(command -v compute-sanitizer || true)"
  [ -z "$sanitizer" ] && [ -x /usr/local/cuda/bin/compute-sanitizer ] && sanitizer=/usr/local/cuda/bin/compute-sanitizer
  if [ -n "$sanitizer" ]; then
    step memcheck 120 env REWEIGH_PARITY_QUICK=1 "$sanitizer" --tool memcheck --leak-check full --error-exitcode 1 "$parity"
    step racecheck 120 env REWEIGH_PARITY_QUICK=1 "$sanitizer" --tool racecheck --error-exitcode 1 "$parity"
    step initcheck 90 env REWEIGH_PARITY_QUICK=1 "$sanitizer" --tool initcheck --error-exitcode 1 "$parity"
    step synccheck 90 env REWEIGH_PARITY_QUICK=1 "$sanitizer" --tool synccheck --error-exitcode 1 "$parity"
    step token_shard_memcheck 90 "$sanitizer" --tool memcheck --leak-check full --error-exitcode 1 "$token_shard"
    step token_shard_racecheck 90 "$sanitizer" --tool racecheck --error-exitcode 1 "$token_shard"
    step token_shard_initcheck 90 "$sanitizer" --tool initcheck --error-exitcode 1 "$token_shard"
    step policy_memcheck 90 env REWEIGH_PARITY_QUICK=1 "$sanitizer" --tool memcheck --leak-check full --error-exitcode 1 \
      "$policy"
    step policy_racecheck 90 env REWEIGH_PARITY_QUICK=1 "$sanitizer" --tool racecheck --error-exitcode 1 "$policy"
  else
    for s in memcheck racecheck initcheck synccheck token_shard_memcheck token_shard_racecheck token_shard_initcheck \
             policy_memcheck policy_racecheck; do
      skip "$s" "compute-sanitizer not found"
    done
  fi
  step threads 60 "$bench" --threads
  step big 90 "$bench" --big --json "$out/bandwidth.jsonl"
  step bandwidth 120 "$bench" --json "$out/bandwidth.jsonl"
  gpu_jar="$(ls "$HOME"/.m2/repository/org/bytedeco/pytorch/*/pytorch-*-linux-x86_64-gpu.jar 2>/dev/null | head -n 1 || true)"
  if command -v mvn > /dev/null 2>&1 && [ -n "$gpu_jar" ]; then
    step torch 300 bash -c "cd '$repo' && JAVA_TOOL_OPTIONS=-Dorg.bytedeco.javacpp.cachedir='$out/jcache' \
      mvn -o -B -q -Dreweigh.cuda=ON -Djavacpp.platform.extension=-gpu -pl java/reweigh-pytorch -am verify"
    step torch_policy 180 bash -c "cd '$repo' && JAVA_TOOL_OPTIONS=-Dorg.bytedeco.javacpp.cachedir='$out/jcache' \
      mvn -o -B -q -Dreweigh.cuda=ON -Djavacpp.platform.extension=-gpu -pl java/reweigh-pytorch -am verify \
      -Dtest=TorchPolicyStepTest -Dsurefire.failIfNoSpecifiedTests=false -Dreweigh.requireCuda=true"
  else
    skip torch "no mvn or no PyTorch -gpu natives in ~/.m2 (the GPU machine cannot reach Maven Central)"
    skip torch_policy "no mvn or no PyTorch -gpu natives in ~/.m2 (the GPU machine cannot reach Maven Central)"
  fi
fi

# summary.json: the steps, the bandwidth rows, the GPU, the wall time.
{
  echo "{"
  gpu="none"
  [ -f "$out/gpu.txt" ] && gpu="$(tr -d '"\n' < "$out/gpu.txt")"
  printf '  "gpu": "%s",\n' "$gpu"
  printf '  "dry_run": %s,\n' "$([ "$dry" = 1 ] && echo true || echo false)"
  printf '  "seconds": %s,\n' "$(( $(date +%s) - started ))"
  echo '  "steps": ['
  n="$(wc -l < "$steps_file")"; i=0
  while IFS=$'\t' read -r name status rc secs reason; do
    i=$((i + 1))
    log="$name.log"
    [ -f "$out/$log" ] || log=""
    printf '    {"name": "%s", "status": "%s", "rc": %s, "seconds": %s, "reason": "%s", "log": "%s"}%s\n' \
      "$name" "$status" "$rc" "$secs" "${reason:-}" "$log" "$([ "$i" -lt "$n" ] && echo , || true)"
  done < "$steps_file"
  echo '  ],'
  echo '  "bandwidth": ['
  n="$(grep -c . "$out/bandwidth.jsonl" || true)"; i=0
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    i=$((i + 1))
    printf '    %s%s\n' "$line" "$([ "$i" -lt "$n" ] && echo , || true)"
  done < "$out/bandwidth.jsonl"
  echo '  ],'
  printf '  "passed": %s\n' "$([ "$failed" = 0 ] && echo true || echo false)"
  echo "}"
} > "$out/summary.json"
if command -v python3 > /dev/null 2>&1; then
  python3 -m json.tool "$out/summary.json" > /dev/null || { echo "summary.json is not valid JSON" >&2; exit 1; }
fi
echo "== summary: $out/summary.json ($([ "$failed" = 0 ] && echo passed || echo FAILED))"
exit "$failed"
