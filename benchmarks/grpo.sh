#!/usr/bin/env bash
# benchmarks/grpo.sh: the GRPO step benchmarks (docs/design.md §3, per-row coefficients): JMH
# GrpoBench (forward + PolicyGradient.grpo + TokenLoss.backward, with and without the entropy
# term, the one-pass PolicyLoss.forwardBackward, and the backward alone) and LibtorchGrpoBench
# (log_softmax + gather + clipped objective + autograd), then GrpoPairedProbe's interleaved ratios
# (row-weight and entropy extra cost over FusedLoss.backward, the two-phase and one-pass steps
# over forwardBackward, libtorch over each).
#
#   benchmarks/grpo.sh --quick|--full [--out DIR] [--no-build]
#
#   --quick   fp32 at 4096x32000, short iterations, 3 paired rounds: about 4 minutes on 2 cores.
#   --full    fp32 and bf16 at 4096x32000 and 1024x128256, 7 paired rounds: about 25 minutes.
#
# Results in DIR (default benchmarks/target/results/grpo): jmh-grpo.json, jmh-libtorch-grpo.json,
# paired-grpo.jsonl. benchmarks/run calls it after its own summary (REWEIGH_GRPO=0 skips it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mode=""
out="benchmarks/target/results/grpo"
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --out) out="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$mode" ] || { echo "pass --quick or --full (see --help)" >&2; exit 2; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"
log() { echo "== $(date -u +%H:%M:%S) grpo: $*" >&2; }
cpfile="benchmarks/target/classpath.txt"
if [ "$build" = 1 ] || [ ! -f "$cpfile" ]; then
  log "build (core native library + benchmarks module, tests skipped)"
  # shellcheck disable=SC2086
  mvn -B -q ${REWEIGH_MVN_FLAGS:-} -Dreweigh.cuda="${REWEIGH_CUDA:-OFF}" -pl benchmarks -am \
    package -DskipTests dependency:build-classpath -Dmdep.outputFile="$root/$cpfile" \
    -Dmdep.includeScope=runtime
fi
cp="$root/benchmarks/target/classes:$(cat "$cpfile")"
jvm=(-Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -Dorg.bytedeco.javacpp.maxBytes=0 -Xmx1g)
jmh() { # jmh NAME ARGS...: one JMH invocation, JSON to $out/jmh-NAME.json; a failed guard fails it
  local name="$1"; shift
  log "jmh $name: $*"
  java -cp "$cp" org.openjdk.jmh.Main "$@" -foe true -rf json -rff "$out/jmh-$name.json" \
    >"$out/jmh-$name.log" 2>&1 || { tail -40 "$out/jmh-$name.log" >&2; exit 1; }
  grep -E '^(Benchmark|[A-Za-z]+Bench\.)' "$out/jmh-$name.log" >&2 || true
}
paired() { # paired SHAPE DTYPE ROUNDS
  log "paired probe $*"
  java "${jvm[@]}" -cp "$cp" dev.reweigh.bench.GrpoPairedProbe "$@" 1 "$out/paired-grpo.jsonl" >&2
}
rm -f "$out"/jmh-*.json "$out/paired-grpo.jsonl"
if [ "$mode" = quick ]; then
  jmh grpo 'dev.reweigh.bench.GrpoBench' -p shape=4096x32000 -p dtype=f32 -f 1 -wi 1 -w 1s -i 3 -r 1s
  jmh libtorch-grpo 'dev.reweigh.bench.LibtorchGrpoBench' -p shape=4096x32000 -p dtype=f32 \
    -f 1 -wi 1 -w 1s -i 3 -r 1s
  paired 4096x32000 f32 3
else
  jmh grpo 'dev.reweigh.bench.GrpoBench' -p shape=4096x32000,1024x128256 -p dtype=f32,bf16 -wi 2 -i 4
  jmh libtorch-grpo 'dev.reweigh.bench.LibtorchGrpoBench' -p shape=4096x32000,1024x128256 -wi 1 -i 3
  for s in 4096x32000 1024x128256; do
    for d in f32 bf16; do paired $s $d 7; done
  done
fi
log "done: $out"
