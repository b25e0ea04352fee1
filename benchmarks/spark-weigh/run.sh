#!/usr/bin/env bash
# spark-weigh benchmark: rows/s and peak memory (max RSS of the JVM) of every `reweigh weigh`
# method on the streaming CLI and on --engine spark --master local[2], on the same JSONL file.
#
#   benchmarks/spark-weigh/run.sh [ROWS] [METHODS...]     (default 10000000 rows, every method)
#
# Environment: WORK (scratch dir, default target/spark-weigh), JAVA_OPTS (both engines),
# SKIP_BUILD=1 (reuse the last build). On a shared machine read rows per CPU second: wall time
# depends on the other processes, CPU time much less. Each run is one JVM, timed from start to exit (JVM and
# Spark start-up included); outputs are deleted after each run. Prints a Markdown table.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROWS="${1:-10000000}"
shift || true
METHODS=("$@")
if [[ ${#METHODS[@]} -eq 0 ]]; then
  METHODS=(lmsi rejection iwsi iwsi-w east sharpening-sft loss-reweighting kl-dro)
fi
WORK="${WORK:-$ROOT/target/spark-weigh}"
mkdir -p "$WORK"
CP_FILE="$WORK/classpath.txt"

if [[ -z "${SKIP_BUILD:-}" || ! -s "$CP_FILE" ]]; then
  (cd "$ROOT" && mvn -B -q -Dreweigh.cuda=OFF -DskipTests -pl java/reweigh-spark -am package \
      dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$CP_FILE") >&2
fi
CP="$ROOT/java/reweigh-spark/target/classes:$(cat "$CP_FILE")"
# The JDK 17 opens Spark needs, as a java @argfile (the one ./reweigh passes).
OPENS=("@$ROOT/java/reweigh-spark/spark-jvm.options")

IN="$WORK/candidates-$ROWS.jsonl"
if [[ ! -s "$IN" ]]; then
  echo "generating $ROWS candidates into $IN ..." >&2
  python3 "$ROOT/benchmarks/spark-weigh/generate.py" "$ROWS" "$IN"
fi

args_for() {
  case "$1" in
    iwsi|iwsi-w) echo "--valid-mean-loss 2.0" ;;
    *) echo "" ;;
  esac
}

# time_run LABEL CMD... : prints "wall_seconds maxrss_kB cpu_seconds"
time_run() {
  local label="$1"; shift
  local t="$WORK/time.txt"
  if ! /usr/bin/time -f "%e %M %U %S" -o "$t" "$@" >"$WORK/$label.log" 2>&1; then
    echo "run $label failed; see $WORK/$label.log" >&2
    tail -n 20 "$WORK/$label.log" >&2
    exit 1
  fi
  awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$t"
}

echo "$ROWS rows, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start;"
echo "rows/s = rows / wall time (JVM start included); rows/CPU s = rows / (user + sys seconds)"
echo
echo "| method | streaming rows/s (wall) | streaming rows/CPU s (CPU) | streaming peak RSS | spark local[2] rows/s (wall) | spark rows/CPU s (CPU) | spark peak RSS |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for m in "${METHODS[@]}"; do
  # shellcheck disable=SC2207
  extra=($(args_for "$m"))
  rm -rf "$WORK/out-streaming.jsonl" "$WORK/out-spark"
  read -r ts ms cs < <(time_run "streaming-$m" java ${JAVA_OPTS:-} -cp "$CP" dev.reweigh.spark.WeighMain \
      --engine streaming -m "$m" "${extra[@]}" -i "$IN" -o "$WORK/out-streaming.jsonl" \
      --summary "$WORK/summary-streaming-$m.json")
  rm -rf "$WORK/out-streaming.jsonl"
  read -r tp mp cpu_p < <(time_run "spark-$m" java ${JAVA_OPTS:-} "${OPENS[@]}" -cp "$CP" dev.reweigh.spark.WeighMain \
      --master "local[2]" -m "$m" "${extra[@]}" -i "$IN" -o "$WORK/out-spark" \
      --summary "$WORK/summary-spark-$m.json")
  rm -rf "$WORK/out-spark"
  awk -v m="$m" -v n="$ROWS" -v ts="$ts" -v ms="$ms" -v cs="$cs" -v tp="$tp" -v mp="$mp" -v cpu_p="$cpu_p" 'BEGIN {
    printf "| %s | %.0f (%.1f s) | %.0f (%.1f s) | %.0f MiB | %.0f (%.1f s) | %.0f (%.1f s) | %.0f MiB |\n",
      m, n / ts, ts, n / cs, cs, ms / 1024, n / tp, tp, n / cpu_p, cpu_p, mp / 1024 }'
done
