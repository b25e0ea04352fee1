#!/usr/bin/env bash
# Planted bugs: apply each mutation of plants.py to a scratch copy of the native sources, build it
# CPU-only and run the native GoogleTest suites; every plant must make at least one suite fail.
# Prints one line per plant and exits non-zero if any plant survives, does not build, or no longer
# matches the sources ("pattern not found": the plant is stale and must be updated).
#
#   native/scripts/plant.sh                 every plant
#   native/scripts/plant.sh ID...           only these (ids: native/scripts/plants.py list)
#   PLANT_DIR=/tmp/p native/scripts/plant.sh   keep the scratch copy there (default: mktemp)
#   JOBS=1 ...                              build parallelism (default 2)
#
# The scratch build is configured once; each plant rebuilds incrementally, runs ctest (stopping at
# the first failing suite), then restores the file it changed.
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/.." && pwd)"
plants="$here/scripts/plants.py"
jobs="${JOBS:-2}"
scratch="${PLANT_DIR:-$(mktemp -d /tmp/reweigh-plant.XXXXXX)}"
mkdir -p "$scratch"
rm -rf "$scratch/native" "$scratch/cmake" "$scratch/pristine"
cp -r "$here" "$scratch/native"
cp -r "$repo/cmake" "$scratch/cmake"
rm -rf "$scratch/native/build"* 2>/dev/null || true
cp -r "$scratch/native" "$scratch/pristine"
build="$scratch/build"
log="$scratch/logs"
mkdir -p "$log"

configure() {
  cmake -S "$scratch/native" -B "$build" -DCMAKE_BUILD_TYPE=Release -DREWEIGH_BUILD_TESTS=ON \
    -DREWEIGH_CUDA=OFF >"$log/configure.log" 2>&1
}

# Runs the suites; prints the names of the failing ones (empty when all pass).
run_suites() {
  local out="$1" names
  if ctest --test-dir "$build" --timeout 900 --stop-on-failure >"$out" 2>&1; then
    return 0
  fi
  names="$(grep -oE '[0-9]+ - [a-z0-9_]+ \((Failed|SEGFAULT|Subprocess aborted|Timeout|Exception|Child aborted|[A-Za-z ]+)\)' \
    "$out" | sed -E 's/^[0-9]+ - //' | tr '\n' ' ')"
  echo "${names:-ctest (exit status non-zero, see $out)}"
}

if ! configure || ! cmake --build "$build" -j "$jobs" >"$log/pristine-build.log" 2>&1; then
  echo "the unmodified sources do not build: see $log" >&2
  exit 2
fi
failed_pristine="$(run_suites "$log/pristine-ctest.log")"
if [ -n "$failed_pristine" ]; then
  echo "the unmodified sources fail their tests ($failed_pristine): see $log/pristine-ctest.log" >&2
  exit 2
fi

if [ $# -gt 0 ]; then
  ids=("$@")
else
  mapfile -t ids < <(python3 "$plants" list | cut -f1)
fi

survivors=0
printf '%-28s %-28s %s\n' "plant" "file" "result"
for id in "${ids[@]}"; do
  file="$(python3 "$plants" list | awk -F'\t' -v id="$id" '$1 == id { print $2 }')"
  if [ -z "$file" ]; then
    printf '%-28s %-28s %s\n' "$id" "?" "FAIL: unknown plant"
    survivors=$((survivors + 1))
    continue
  fi
  if ! msg="$(python3 "$plants" apply "$id" "$scratch/native" 2>&1)"; then
    result="FAIL: pattern not found ($msg)"
    survivors=$((survivors + 1))
  elif ! cmake --build "$build" -j "$jobs" >"$log/$id-build.log" 2>&1; then
    result="FAIL: does not build (see $log/$id-build.log)"
    survivors=$((survivors + 1))
  else
    caught="$(run_suites "$log/$id-ctest.log")"
    if [ -n "$caught" ]; then
      result="caught by ${caught% }"
    else
      result="SURVIVED"
      survivors=$((survivors + 1))
    fi
  fi
  cp "$scratch/pristine/$file" "$scratch/native/$file"
  printf '%-28s %-28s %s\n' "$id" "$file" "$result"
done

if [ "$survivors" -gt 0 ]; then
  echo "$survivors plant(s) not caught" >&2
  exit 1
fi
echo "all ${#ids[@]} plants caught"
